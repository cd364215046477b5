/// The numeric kernels of the trainer: matrix products and elementwise operations on raw
/// pointers, written for concrete `SIMD8<Float>` vectors (never generic, so that debug
/// builds stay fast enough for tests).
///
/// Built with `SWIFTTUNER_NATIVE=1`, products use fused multiply-add; otherwise `a * b + c`,
/// which stays vectorized on plain x86-64 (a fused multiply-add without the instruction set
/// would become a per-lane library call).
public enum Kernels {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func madd(_ a: V, _ b: V, _ c: V) -> V {
        #if SWIFTTUNER_FMA
        return c.addingProduct(a, b)
        #else
        return a * b + c
        #endif
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// `C = A·B` (or `C += A·B` when `accumulate`), row-major: A is m×k (row stride `lda`),
    /// B is k×n (`ldb`), C is m×n (`ldc`).
    ///
    /// Register-blocked: 6 rows × 16 columns of C stay in 12 vector registers while the
    /// product runs over k.
    public static func gemm(m: Int, n: Int, k: Int,
                            _ a: UnsafePointer<Float>, lda: Int,
                            _ b: UnsafePointer<Float>, ldb: Int,
                            _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false) {
        #if DEBUG
        // Unoptimized builds do not specialize the standard library's SIMD operators, which
        // makes vector code there 100× slower than plain scalar loops: tests use these.
        scalarGemm(m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, c, ldc: ldc, accumulate: accumulate)
        return
        #else
        let m6 = m - m % 6
        var i = 0
        while i < m6 {
            var j = 0
            while j + 16 <= n {
                tile6x16(k, a + i * lda, lda, b + j, ldb, c + i * ldc + j, ldc, accumulate)
                j += 16
            }
            while j + 8 <= n {
                tile6x8(k, a + i * lda, lda, b + j, ldb, c + i * ldc + j, ldc, accumulate)
                j += 8
            }
            if j < n {
                for r in i..<(i + 6) { rowTail(r, j, n, k, a, lda, b, ldb, c, ldc, accumulate) }
            }
            i += 6
        }
        while i < m {
            var j = 0
            while j + 16 <= n {
                tile1x16(k, a + i * lda, b + j, ldb, c + i * ldc + j, accumulate)
                j += 16
            }
            if j < n { rowTail(i, j, n, k, a, lda, b, ldb, c, ldc, accumulate) }
            i += 1
        }
        #endif
    }

    /// The plain product, for unoptimized builds (and as a reference). Written with `while`
    /// and wrapping arithmetic, which unoptimized builds compile to plain instructions, where
    /// a `for … in` range or a SIMD operator is a function call per step.
    static func scalarGemm(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int,
                           _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int,
                           accumulate: Bool) {
        var i = 0
        while i < m {
            let ci = c + i &* ldc
            if !accumulate { ci.update(repeating: 0, count: n) }
            let ai = a + i &* lda
            var p = 0
            while p < k {
                let s = ai[p]
                if s != 0 {
                    let bp = b + p &* ldb
                    var j = 0
                    while j &+ 4 <= n {
                        ci[j] += s * bp[j]
                        ci[j &+ 1] += s * bp[j &+ 1]
                        ci[j &+ 2] += s * bp[j &+ 2]
                        ci[j &+ 3] += s * bp[j &+ 3]
                        j = j &+ 4
                    }
                    while j < n {
                        ci[j] += s * bp[j]
                        j = j &+ 1
                    }
                }
                p = p &+ 1
            }
            i = i &+ 1
        }
    }

    @inline(__always)
    static func tile6x16(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                         _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool) {
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda
        var bp = b
        for p in 0..<k {
            let b0 = load(bp), b1 = load(bp + 8)
            var s = V(repeating: a0[p]); c00 = madd(s, b0, c00); c01 = madd(s, b1, c01)
            s = V(repeating: a1[p]); c10 = madd(s, b0, c10); c11 = madd(s, b1, c11)
            s = V(repeating: a2[p]); c20 = madd(s, b0, c20); c21 = madd(s, b1, c21)
            s = V(repeating: a3[p]); c30 = madd(s, b0, c30); c31 = madd(s, b1, c31)
            s = V(repeating: a4[p]); c40 = madd(s, b0, c40); c41 = madd(s, b1, c41)
            s = V(repeating: a5[p]); c50 = madd(s, b0, c50); c51 = madd(s, b1, c51)
            bp += ldb
        }
        if accumulate {
            c00 += load(c); c01 += load(c + 8)
            c10 += load(c + ldc); c11 += load(c + ldc + 8)
            c20 += load(c + 2 * ldc); c21 += load(c + 2 * ldc + 8)
            c30 += load(c + 3 * ldc); c31 += load(c + 3 * ldc + 8)
            c40 += load(c + 4 * ldc); c41 += load(c + 4 * ldc + 8)
            c50 += load(c + 5 * ldc); c51 += load(c + 5 * ldc + 8)
        }
        store(c00, c); store(c01, c + 8)
        store(c10, c + ldc); store(c11, c + ldc + 8)
        store(c20, c + 2 * ldc); store(c21, c + 2 * ldc + 8)
        store(c30, c + 3 * ldc); store(c31, c + 3 * ldc + 8)
        store(c40, c + 4 * ldc); store(c41, c + 4 * ldc + 8)
        store(c50, c + 5 * ldc); store(c51, c + 5 * ldc + 8)
    }

    @inline(__always)
    static func tile6x8(_ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool) {
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
        var bp = b
        for p in 0..<k {
            let b0 = load(bp)
            c0 = madd(V(repeating: a[p]), b0, c0)
            c1 = madd(V(repeating: a[lda + p]), b0, c1)
            c2 = madd(V(repeating: a[2 * lda + p]), b0, c2)
            c3 = madd(V(repeating: a[3 * lda + p]), b0, c3)
            c4 = madd(V(repeating: a[4 * lda + p]), b0, c4)
            c5 = madd(V(repeating: a[5 * lda + p]), b0, c5)
            bp += ldb
        }
        if accumulate {
            c0 += load(c); c1 += load(c + ldc); c2 += load(c + 2 * ldc)
            c3 += load(c + 3 * ldc); c4 += load(c + 4 * ldc); c5 += load(c + 5 * ldc)
        }
        store(c0, c); store(c1, c + ldc); store(c2, c + 2 * ldc)
        store(c3, c + 3 * ldc); store(c4, c + 4 * ldc); store(c5, c + 5 * ldc)
    }

    @inline(__always)
    static func tile1x16(_ k: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ ldb: Int,
                         _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        var c0 = V(), c1 = V()
        var bp = b
        for p in 0..<k {
            let s = V(repeating: a[p])
            c0 = madd(s, load(bp), c0)
            c1 = madd(s, load(bp + 8), c1)
            bp += ldb
        }
        if accumulate { c0 += load(c); c1 += load(c + 8) }
        store(c0, c); store(c1, c + 8)
    }

    /// Columns `j..<n` of row `r`, one dot product each (narrow outputs such as one unit).
    @inline(__always)
    static func rowTail(_ r: Int, _ j: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                        _ b: UnsafePointer<Float>, _ ldb: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                        _ accumulate: Bool) {
        let ar = a + r * lda
        for col in j..<n {
            var sum: Float = accumulate ? c[r * ldc + col] : 0
            var bp = b + col
            for p in 0..<k {
                sum += ar[p] * bp.pointee
                bp += ldb
            }
            c[r * ldc + col] = sum
        }
    }

    /// Writes the transpose of a rows×columns matrix into `t` (columns×rows).
    public static func transpose(rows: Int, columns: Int, _ a: UnsafePointer<Float>, _ t: UnsafeMutablePointer<Float>) {
        let block = 16
        var i0 = 0
        while i0 < rows {
            var j0 = 0
            let i1 = min(rows, i0 + block)
            while j0 < columns {
                let j1 = min(columns, j0 + block)
                var i = i0
                while i < i1 {
                    var j = j0
                    while j < j1 { t[j &* rows &+ i] = a[i &* columns &+ j]; j = j &+ 1 }
                    i = i &+ 1
                }
                j0 += block
            }
            i0 += block
        }
    }
}
