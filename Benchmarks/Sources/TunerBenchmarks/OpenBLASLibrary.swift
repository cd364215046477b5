import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// The OpenBLAS library that numpy loaded, opened in this process, so that the GEMM table can
/// alternate it with the trainer's product sample by sample under the same machine conditions.
///
/// The machine's speed drifts by ±25 % from one minute to the next; alternating whole processes
/// leaves a few percent of that in the ratio, alternating calls in one process does not.
///
/// ```swift
/// if let blas = OpenBLASLibrary(path: path) {
///     blas.gemm(m: 256, n: 512, k: 512, a, lda: 512, b, ldb: 512, c, ldc: 512)
/// }
/// ```
struct OpenBLASLibrary {
    private typealias Gemm64 =
        @convention(c) (
            Int32, Int32, Int32, Int64, Int64, Int64, Float, UnsafePointer<Float>, Int64,
            UnsafePointer<Float>, Int64, Float, UnsafeMutablePointer<Float>, Int64
        ) -> Void
    private typealias Gemm32 =
        @convention(c) (
            Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>, Int32,
            UnsafePointer<Float>, Int32, Float, UnsafeMutablePointer<Float>, Int32
        ) -> Void
    private typealias SetThreads = @convention(c) (Int32) -> Void

    /// `cblas_sgemm` with 64-bit integers (numpy's own builds: symbols suffixed `64_`).
    private let gemm64: Gemm64?
    /// `cblas_sgemm` with 32-bit integers (a system OpenBLAS).
    private let gemm32: Gemm32?

    /// Opens the library at `path` and limits it to one thread; nil when it is not an OpenBLAS
    /// with a CBLAS interface.
    init?(path: String) {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else { return nil }
        func symbol(_ names: [String]) -> (name: String, address: UnsafeMutableRawPointer)? {
            for name in names { if let address = dlsym(handle, name) { return (name, address) } }
            return nil
        }
        guard let gemm = symbol(["scipy_cblas_sgemm64_", "cblas_sgemm64_", "cblas_sgemm"]),
            let threads = symbol([
                "scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                "openblas_set_num_threads",
            ])
        else { return nil }
        if gemm.name.hasSuffix("64_") {
            gemm64 = unsafeBitCast(gemm.address, to: Gemm64.self)
            gemm32 = nil
        } else {
            gemm64 = nil
            gemm32 = unsafeBitCast(gemm.address, to: Gemm32.self)
        }
        unsafeBitCast(threads.address, to: SetThreads.self)(1)
    }

    /// C = op(A)·op(B) on row-major matrices, with the trainer's argument convention
    /// (`Kernels.gemm`): op transposes an operand stored transposed.
    func gemm(
        m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
        _ c: UnsafeMutablePointer<Float>, ldc: Int, transposeA: Bool = false, transposeB: Bool = false
    ) {
        // CBLAS: row-major 101; no transpose 111, transpose 112.
        let ta: Int32 = transposeA ? 112 : 111, tb: Int32 = transposeB ? 112 : 111
        if let gemm64 {
            gemm64(101, ta, tb, Int64(m), Int64(n), Int64(k), 1, a, Int64(lda), b, Int64(ldb), 0, c, Int64(ldc))
        } else if let gemm32 {
            gemm32(101, ta, tb, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
        }
    }
}
