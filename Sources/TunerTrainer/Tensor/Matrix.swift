/// A dense, row-major, contiguous matrix of `Float`: a batch of rows of features.
///
/// ```swift
/// var x = Matrix(rows: 2, columns: 3)
/// x[1, 2] = 4
/// let y = try Matrix(rows: 2, columns: 1, [0.5, 1.5])
/// ```
public struct Matrix: Equatable, Sendable, CustomStringConvertible {
    /// The number of rows.
    public private(set) var rows: Int
    /// The number of columns.
    public private(set) var columns: Int
    /// The values, row after row.
    public private(set) var storage: [Float]

    /// A matrix filled with one value (zeros by default).
    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        self.rows = max(0, rows)
        self.columns = max(0, columns)
        storage = Array(repeating: value, count: self.rows * self.columns)
    }

    /// A matrix of the given values, row after row.
    ///
    /// - Throws: ``TrainerError`` when the count is not `rows × columns`.
    public init(rows: Int, columns: Int, _ values: [Float]) throws {
        guard rows >= 0, columns >= 0, values.count == rows * columns else {
            throw TrainerError.shape(
                "a \(rows)×\(columns) matrix needs \(max(0, rows * columns)) values, got \(values.count)")
        }
        self.rows = rows
        self.columns = columns
        storage = values
    }

    /// A matrix of rows; every row must have the same length.
    public init(_ rowValues: [[Float]]) throws {
        let columns = rowValues.first?.count ?? 0
        for (index, row) in rowValues.enumerated() where row.count != columns {
            throw TrainerError.shape("row \(index) has \(row.count) values, row 0 has \(columns)")
        }
        try self.init(rows: rowValues.count, columns: columns, rowValues.flatMap { $0 })
    }

    /// A matrix of `Double` rows, converted to `Float`.
    public init(_ rowValues: [[Double]]) throws {
        try self.init(rowValues.map { $0.map(Float.init) })
    }

    /// The value at a row and a column.
    public subscript(row: Int, column: Int) -> Float {
        get { storage[row * columns + column] }
        set { storage[row * columns + column] = newValue }
    }

    /// The values of one row.
    public func row(_ index: Int) -> ArraySlice<Float> {
        storage[(index * columns)..<((index + 1) * columns)]
    }

    /// The rows at the given indices, in that order.
    public func rows(_ indices: some Sequence<Int>) -> Matrix {
        var result: [Float] = []
        var count = 0
        for i in indices {
            result.append(contentsOf: row(i))
            count += 1
        }
        return Matrix(unchecked: count, columns, result)
    }

    /// The transpose.
    public var transposed: Matrix {
        var result = Matrix(rows: columns, columns: rows)
        storage.withUnsafeBufferPointer { a in
            result.storage.withUnsafeMutableBufferPointer { t in
                Kernels.transpose(rows: rows, columns: columns, a.baseAddress!, t.baseAddress!)
            }
        }
        return result
    }

    /// The rows as arrays of `Double`.
    public var doubleRows: [[Double]] { (0..<rows).map { row($0).map(Double.init) } }

    /// A short description with the shape.
    public var description: String { "Matrix(\(rows)×\(columns))" }

    init(unchecked rows: Int, _ columns: Int, _ storage: [Float]) {
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// Runs `body` with a pointer to the values.
    public func withUnsafePointer<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { return try body(base) }
            var empty: Float = 0
            return try body(&empty)
        }
    }

    /// Runs `body` with a mutable pointer to the values.
    public mutating func withUnsafeMutablePointer<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { return try body(base) }
            var empty: Float = 0
            return try body(&empty)
        }
    }
}

/// What the trainer refuses: wrong shapes, unusable settings, bad data.
///
/// ```swift
/// catch TrainerError.shape(let message) { print(message) }
/// ```
public enum TrainerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Shapes that do not fit together.
    case shape(String)
    /// A setting that cannot work (a model used before `compile`, a batch size of 0, …).
    case configuration(String)

    /// The message.
    public var description: String {
        switch self {
        case .shape(let message): "shape mismatch: \(message)"
        case .configuration(let message): message
        }
    }
}
