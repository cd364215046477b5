#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The scratch memory of the matrix products (packed strips of B, panels of A, an edge tile):
/// one block per thread, kept from call to call and grown when a larger product needs more.
///
/// A product of a small layer takes about a microsecond; taking its few kilobytes from the
/// allocator each time cost 50 ns of it (3–5 %). The block starts on a cache line and lives
/// as long as its thread: at most the largest product's need, about 1.2 MiB.
final class Scratch {
    private var base: UnsafeMutableRawPointer?
    private var bytes = 0
    /// Set while a caller holds the block: a nested request gets memory of its own.
    private var inUse = false

    deinit { base?.deallocate() }

    /// Runs `body` on `count` floats that start on a cache line, from this thread's block
    /// (or from a temporary allocation when the block is already in use).
    static func with(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        let scratch = current, needed = 4 * max(count, 1)
        if scratch.inUse {
            withUnsafeTemporaryAllocation(byteCount: needed, alignment: 64) { raw in
                body(raw.baseAddress!.bindMemory(to: Float.self, capacity: count))
            }
            return
        }
        if needed > scratch.bytes {
            scratch.base?.deallocate()
            scratch.base = UnsafeMutableRawPointer.allocate(byteCount: needed, alignment: 64)
            scratch.bytes = needed
        }
        scratch.inUse = true
        defer { scratch.inUse = false }
        body(scratch.base!.bindMemory(to: Float.self, capacity: count))
    }

    /// This thread's block, made on first use.
    private static var current: Scratch {
        if let raw = pthread_getspecific(key) { return Unmanaged<Scratch>.fromOpaque(raw).takeUnretainedValue() }
        let scratch = Scratch()
        pthread_setspecific(key, Unmanaged.passRetained(scratch).toOpaque())
        return scratch
    }

    /// The thread-specific key; its destructor frees a thread's block when the thread ends.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { release($0) }
        return key
    }()

    private static func release(_ raw: UnsafeMutableRawPointer?) {
        if let raw { Unmanaged<Scratch>.fromOpaque(raw).release() }
    }
}
