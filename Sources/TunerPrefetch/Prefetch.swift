// Compiled with -parse-stdlib (native builds only, see Package.swift): the standard library's
// `Builtin` module is the one way Swift code can reach LLVM's prefetch intrinsic.
import Swift

/// Hints the processor to load the cache line at `address` into every cache level, for
/// writing: a prefetch neither waits for the line nor faults on a bad address.
///
/// The trainer's register kernels call it on the tile of C they will write once their loop
/// over k is done, so that the line is there when the stores come.
///
/// ```swift
/// prefetchForWriting(UnsafeRawPointer(c + row * ldc))
/// ```
@inlinable @inline(__always)
public func prefetchForWriting(_ address: UnsafeRawPointer) {
    // llvm.prefetch(address, rw: 1 = write, locality: 3 = keep in all levels, cache: 1 = data)
    Builtin.int_prefetch_RawPointer(address._rawValue, Builtin.trunc_Int64_Int32((1 as Int64)._value),
                                    Builtin.trunc_Int64_Int32((3 as Int64)._value),
                                    Builtin.trunc_Int64_Int32((1 as Int64)._value))
}
