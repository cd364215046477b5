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
    /// The block, replaced by a larger one when a product needs more.
    private var block: Buffer?
    /// Set while a caller holds the block: a nested request gets memory of its own.
    private var inUse = false

    /// Runs `body` on `count` floats that start on a cache line, from this thread's block
    /// (or from a block of its own when this one is already in use).
    static func with(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        let scratch = current
        if scratch.inUse {
            let own = Buffer(count)
            withExtendedLifetime(own) { body(own.pointer) }
            return
        }
        let block: Buffer
        if let current = scratch.block, current.count >= count {
            block = current
        } else {
            block = Buffer(count)
            scratch.block = block
        }
        scratch.inUse = true
        defer { scratch.inUse = false }
        body(block.pointer)
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
