/// A fixed-size block of `Float`s owned by one layer or workspace, reached through a raw
/// pointer so that hot loops carry no bounds checks or copy-on-write checks. It starts on a
/// cache line (64 bytes), so rows whose length is a multiple of 16 floats never straddle two.
final class Buffer {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    init(_ count: Int, repeating value: Float = 0) {
        self.count = max(count, 1)
        pointer = Buffer.allocate(self.count)
        pointer.initialize(repeating: value, count: self.count)
    }

    init(copying values: [Float]) {
        count = max(values.count, 1)
        pointer = Buffer.allocate(count)
        pointer.initialize(repeating: 0, count: count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    func zero() { pointer.update(repeating: 0, count: count) }

    func copy(from other: Buffer) { pointer.update(from: other.pointer, count: min(count, other.count)) }

    func array(_ n: Int? = nil) -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: n ?? count)) }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: 4 * count, alignment: 64).bindMemory(
            to: Float.self, capacity: count)
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}
