/// A fixed-size block of `Float`s owned by one layer or workspace, reached through a raw
/// pointer so that hot loops carry no bounds checks or copy-on-write checks.
final class Buffer {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    init(_ count: Int, repeating value: Float = 0) {
        self.count = max(count, 1)
        pointer = .allocate(capacity: self.count)
        pointer.initialize(repeating: value, count: self.count)
    }

    init(copying values: [Float]) {
        count = max(values.count, 1)
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    func zero() { pointer.update(repeating: 0, count: count) }

    func copy(from other: Buffer) { pointer.update(from: other.pointer, count: min(count, other.count)) }

    func array(_ n: Int? = nil) -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: n ?? count)) }

    deinit { pointer.deallocate() }
}
