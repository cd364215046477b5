import Foundation
import TunerRandom

/// Features and targets, with their names: what a CSV file loads into.
///
/// ```swift
/// let iris = try Dataset.loadCSV("Fixtures/data/iris.csv", targets: ["species"], oneHot: true)
/// iris.x.rows            // 150
/// iris.y.columns         // 3: one column per class
/// ```
public struct Dataset: Sendable, Equatable {
    /// The features, one row per example.
    public var x: Matrix
    /// The targets, one row per example.
    public var y: Matrix
    /// The feature column names.
    public var featureNames: [String]
    /// The target column names (for one-hot targets, `name=value` per class).
    public var targetNames: [String]

    /// Makes a dataset.
    public init(x: Matrix, y: Matrix, featureNames: [String], targetNames: [String]) {
        self.x = x
        self.y = y
        self.featureNames = featureNames
        self.targetNames = targetNames
    }

    /// Splits off a shuffled fraction of the rows for validation (or testing).
    public func split(validationFraction: Double, seed: UInt64) -> (train: Dataset, validation: Dataset) {
        var rng = SplitMix64(seed: seed)
        var order = Array(0..<x.rows)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
        let held = Int((Double(x.rows) * validationFraction).rounded())
        let train = Array(order.dropFirst(held)), validation = Array(order.prefix(held))
        return (
            Dataset(x: x.rows(train), y: y.rows(train), featureNames: featureNames, targetNames: targetNames),
            Dataset(x: x.rows(validation), y: y.rows(validation), featureNames: featureNames, targetNames: targetNames)
        )
    }
}

/// A data file that cannot be loaded, with the line and column of the first bad cell.
///
/// ```swift
/// // data.csv, line 7, column 'bmi' (3): "abc" is not a number
/// ```
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file.
    public var path: String
    /// The 1-based line of the file, if the problem is on one line.
    public var line: Int?
    /// The column's name and 1-based position, if the problem is in one cell.
    public var column: (name: String, position: Int)?
    /// What is wrong.
    public var message: String

    /// Makes an error.
    public init(path: String, line: Int? = nil, column: (name: String, position: Int)? = nil, _ message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    /// The message, with the file, line and column.
    public var description: String {
        var place = path
        if let line { place += ", line \(line)" }
        if let column { place += ", column '\(column.name)' (\(column.position))" }
        return "\(place): \(message)"
    }

    /// Errors are equal when they say the same.
    public static func == (a: DataError, b: DataError) -> Bool { a.description == b.description }
}

extension Dataset {
    /// Loads a numeric CSV file with a header row.
    ///
    /// - Parameters:
    ///   - targets: the target columns' names.
    ///   - features: the feature columns' names; every other column when `nil`.
    ///   - oneHot: encode the one target column's class labels as one column per class
    ///     (classes in increasing order).
    /// - Throws: ``DataError`` naming the line and column of an empty file, a ragged row, a
    ///   cell that is not a finite number, or an unknown column.
    public static func loadCSV(
        _ path: String, targets: [String], features: [String]? = nil,
        oneHot: Bool = false
    ) throws -> Dataset {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(path: path, "cannot read the file (missing or unreadable)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError(
                path: path,
                "the file is not UTF-8 text (the first invalid byte is at offset \(invalidUTF8Offset(in: data) ?? 0))")
        }
        // "\r\n" is one Character in Swift: split on both line ends.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let headerLine = lines.first else { throw DataError(path: path, "the file is empty") }
        let header = fields(headerLine)
        if let duplicate = Dictionary(grouping: header, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw DataError(path: path, line: 1, "the header names column '\(duplicate)' twice")
        }
        func position(_ name: String) throws -> Int {
            guard let index = header.firstIndex(of: name) else {
                throw DataError(
                    path: path, line: 1, "no column named '\(name)'; the columns are \(header.joined(separator: ", "))")
            }
            return index
        }
        guard !targets.isEmpty else { throw DataError(path: path, "no target column given") }
        let targetIndices = try targets.map(position)
        let featureIndices = try (features ?? header.filter { !targets.contains($0) }).map(position)
        guard !featureIndices.isEmpty else { throw DataError(path: path, "no feature column left") }
        if oneHot, targetIndices.count != 1 {
            throw DataError(path: path, "one-hot encoding takes exactly one target column, got \(targetIndices.count)")
        }
        guard lines.count > 1 else { throw DataError(path: path, "the file has a header but no rows") }

        var xValues: [Float] = []
        var yValues: [Float] = []
        var labels: [(text: String, line: Int)] = []
        xValues.reserveCapacity((lines.count - 1) * featureIndices.count)
        for (offset, line) in lines.dropFirst().enumerated() {
            let lineNumber = offset + 2
            let cells = fields(line)
            guard cells.count == header.count else {
                throw DataError(
                    path: path, line: lineNumber, "the row has \(cells.count) fields, the header \(header.count)")
            }
            func number(_ index: Int) throws -> Float {
                let cell = cells[index]
                guard let value = Double(cell) else {
                    throw DataError(
                        path: path, line: lineNumber, column: (header[index], index + 1),
                        cell.isEmpty ? "the cell is empty" : "\"\(cell)\" is not a number")
                }
                // The trainer computes in Float: a value past its range would become infinite.
                guard value.isFinite, Float(value).isFinite else {
                    throw DataError(
                        path: path, line: lineNumber, column: (header[index], index + 1),
                        value.isFinite
                            ? "\"\(cell)\" is beyond the range of a 32-bit float (±3.4e38)"
                            : "\"\(cell)\" is not a finite number")
                }
                return Float(value)
            }
            for index in featureIndices { xValues.append(try number(index)) }
            if oneHot {
                labels.append((cells[targetIndices[0]], lineNumber))
            } else {
                for index in targetIndices { yValues.append(try number(index)) }
            }
        }
        let rows = lines.count - 1
        let x = Matrix(unchecked: rows, featureIndices.count, xValues)
        let featureNames = featureIndices.map { header[$0] }
        guard oneHot else {
            return Dataset(
                x: x, y: Matrix(unchecked: rows, targetIndices.count, yValues), featureNames: featureNames,
                targetNames: targetIndices.map { header[$0] })
        }
        // Class labels: integers (in numeric order), or names (in sorted order).
        let column = (header[targetIndices[0]], targetIndices[0] + 1)
        let numeric = labels.allSatisfy { Double($0.text) != nil }
        var names: [String]
        if numeric {
            for label in labels {
                let value = Double(label.text) ?? 0
                guard value.isFinite, value == value.rounded(), value.magnitude < 1e15 else {
                    throw DataError(
                        path: path, line: label.line, column: column,
                        "one_hot needs whole-number class labels or class names, got \"\(label.text)\"")
                }
            }
            names = Array(Set(labels.map { String(Int(Double($0.text) ?? 0)) }))
            names.sort { (Int($0) ?? 0) < (Int($1) ?? 0) }
        } else {
            if let empty = labels.first(where: { $0.text.isEmpty }) {
                throw DataError(path: path, line: empty.line, column: column, "the class label is empty")
            }
            names = Array(Set(labels.map(\.text))).sorted()
        }
        guard names.count >= 2 else {
            throw DataError(path: path, column: column, "one-hot targets need at least two classes")
        }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        var encoded = [Float](repeating: 0, count: rows * names.count)
        for (r, label) in labels.enumerated() {
            let key = numeric ? String(Int(Double(label.text) ?? 0)) : label.text
            encoded[r * names.count + (index[key] ?? 0)] = 1
        }
        let name = header[targetIndices[0]]
        return Dataset(
            x: x, y: Matrix(unchecked: rows, names.count, encoded), featureNames: featureNames,
            targetNames: names.map { "\(name)=\($0)" })
    }

    static func fields(_ line: Substring) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { field in
            var f = field.trimmingCharacters(in: .whitespaces)
            if f.count >= 2, f.hasPrefix("\""), f.hasSuffix("\"") { f = String(f.dropFirst().dropLast()) }
            return f
        }
    }

}

/// The offset of the first byte of `data` that is not valid UTF-8, or `nil` when all of it
/// is: what a refusal of a file that is not text names.
///
/// ```swift
/// invalidUTF8Offset(in: Data([0x61, 0xFF]))   // 1
/// ```
public func invalidUTF8Offset(in data: Data) -> Int? {
    let bytes = [UInt8](data)
    var i = 0
    while i < bytes.count {
        let lead = bytes[i]
        let length: Int
        switch lead {
        case 0x00...0x7F: length = 1
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return i
        }
        guard i + length <= bytes.count else { return i }
        for k in 1..<length where bytes[i + k] & 0xC0 != 0x80 { return i }
        // Overlong forms, surrogates and values past U+10FFFF.
        if lead == 0xE0 && bytes[i + 1] < 0xA0 || lead == 0xED && bytes[i + 1] > 0x9F
            || lead == 0xF0 && bytes[i + 1] < 0x90 || lead == 0xF4 && bytes[i + 1] > 0x8F
        {
            return i
        }
        i += length
    }
    return nil
}

extension Matrix {
    /// Uniform random numbers in [0, 1), like `np.random.rand(rows, columns)`, from a seed.
    public static func random(rows: Int, columns: Int, seed: UInt64) -> Matrix {
        var rng = SplitMix64(seed: seed)
        var m = Matrix(rows: rows, columns: columns)
        var values = [Float](repeating: 0, count: max(0, rows) * max(0, columns))
        for i in values.indices { values[i] = Float(rng.nextDouble()) }
        m = Matrix(unchecked: m.rows, m.columns, values)
        return m
    }

    /// Each column's mean and standard deviation (population).
    public func columnStatistics() -> (mean: [Float], std: [Float]) {
        var mean = [Double](repeating: 0, count: columns), square = [Double](repeating: 0, count: columns)
        for r in 0..<rows {
            for c in 0..<columns {
                let v = Double(self[r, c])
                mean[c] += v
                square[c] += v * v
            }
        }
        let n = Double(max(rows, 1))
        let m = mean.map { $0 / n }
        let s = zip(square, m).map { (($0 / n) - $1 * $1).squareRoot() }
        return (m.map(Float.init), s.map { Float($0 > 0 ? $0 : 1) })
    }

    /// The matrix with each column shifted and scaled: (x − mean) / std.
    public func standardized(mean: [Float], std: [Float]) -> Matrix {
        var result = self
        for r in 0..<rows {
            for c in 0..<columns { result[r, c] = (self[r, c] - mean[c]) / std[c] }
        }
        return result
    }
}
