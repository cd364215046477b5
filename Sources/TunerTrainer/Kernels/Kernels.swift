/// The numeric kernels of the trainer: matrix products and elementwise operations on raw
/// pointers, written for concrete `SIMD8<Float>` vectors (never generic, so that debug
/// builds stay fast enough for tests).
///
/// Built with `SWIFTTUNER_NATIVE=1`, products use fused multiply-add; otherwise `a * b + c`,
/// which stays vectorized on plain x86-64 (a fused multiply-add without the instruction set
/// would become a per-lane library call).
public enum Kernels {
    /// Which kernels this build uses, for benchmark reports.
    public static var buildDescription: String {
        #if DEBUG
        "debug (scalar loops)"
        #elseif SWIFTTUNER_FMA
        "native (AVX2 + FMA, SWIFTTUNER_NATIVE=1)"
        #else
        "portable (SIMD without CPU flags)"
        #endif
    }

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
    /// Register-blocked: a tile of C (4 × 24 with AVX2, 6 × 8 without) stays in registers while the
    /// product runs over k, on cache-blocked, packed panels of A and B.
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
        if m == 0 || n == 0 { return }
        if k == 0 {
            if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            return
        }
        packedGemm(m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, c, ldc: ldc, accumulate: accumulate)
        #endif
    }

    /// Block sizes of the packed product: a KC×NC panel of B (256 × 256 floats, 256 KiB)
    /// stays in L2 while 6-row panels of A stream through L1.
    static let kc = 256, nc = 264, mc = 96
    #if SWIFTTUNER_FMA
    /// The register tile: mr rows × nr columns of C (AVX2: 12 ymm accumulators).
    static let mr = 4, nr = 24
    #else
    /// The register tile: mr rows × nr columns of C (SSE2: an 8-float vector is two xmm
    /// registers, so 6 × 8 keeps its 12 accumulator halves within the 16 registers).
    static let mr = 6, nr = 8
    #endif

    /// The cache-blocked product: B is packed in nr-column strips and A in mr-row panels, both
    /// zero-padded, so the register kernel reads memory sequentially and every edge (narrow
    /// outputs, odd batch sizes) runs the same kernel.
    static func packedGemm(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int,
                           _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int,
                           accumulate: Bool) {
        let kcMax = min(k, kc), ncMax = min(n, nc), mcMax = min(m, mc)
        let stripsMax = (ncMax + nr - 1) / nr, panelsMax = (mcMax + mr - 1) / mr
        withUnsafeTemporaryAllocation(of: Float.self, capacity: stripsMax * nr * kcMax + panelsMax * mr * kcMax + mr * nr) { buffer in
            let bp = buffer.baseAddress!
            let ap = bp + stripsMax * nr * kcMax
            let tile = ap + panelsMax * mr * kcMax
            var jc = 0
            while jc < n {
                let nb = min(nc, n - jc)
                let strips = (nb + nr - 1) / nr
                var pc = 0
                while pc < k {
                    let kb = min(kc, k - pc)
                    packB(b + pc * ldb + jc, ldb: ldb, rows: kb, columns: nb, into: bp)
                    let add = accumulate || pc > 0
                    var ic = 0
                    while ic < m {
                        let mb = min(mc, m - ic)
                        let panels = (mb + mr - 1) / mr
                        packA(a + ic * lda + pc, lda: lda, rows: mb, columns: kb, into: ap)
                        for panel in 0..<panels {
                            let rows = min(mr, mb - panel * mr)
                            for strip in 0..<strips {
                                let columns = min(nr, nb - strip * nr)
                                let cTile = c + (ic + panel * mr) * ldc + jc + strip * nr
                                if rows == mr && columns == nr {
                                    kernel(kb, ap + panel * mr * kb, bp + strip * nr * kb, cTile, ldc, add)
                                } else {
                                    kernel(kb, ap + panel * mr * kb, bp + strip * nr * kb, tile, nr, false)
                                    for r in 0..<rows {
                                        let dst = cTile + r * ldc, src = tile + r * nr
                                        if add {
                                            for j in 0..<columns { dst[j] += src[j] }
                                        } else {
                                            dst.update(from: src, count: columns)
                                        }
                                    }
                                }
                            }
                        }
                        ic += mb
                    }
                    pc += kb
                }
                jc += nb
            }
        }
    }

    /// Packs rows×columns of B into nr-column strips, each `rows` × nr, zero-padded.
    static func packB(_ b: UnsafePointer<Float>, ldb: Int, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        var strip = 0
        while strip * nr < columns {
            let j0 = strip * nr
            let width = min(nr, columns - j0)
            let dst = out + strip * nr * rows
            if width == nr {
                for p in 0..<rows {
                    let src = b + p * ldb + j0, d = dst + p * nr
                    var j = 0
                    while j < nr {
                        store(load(src + j), d + j)
                        j += 8
                    }
                }
            } else {
                for p in 0..<rows {
                    let src = b + p * ldb + j0, d = dst + p * nr
                    for j in 0..<width { d[j] = src[j] }
                    for j in width..<nr { d[j] = 0 }
                }
            }
            strip += 1
        }
    }

    /// Packs rows×columns of A into mr-row panels, column after column (mr values each), zero-padded.
    static func packA(_ a: UnsafePointer<Float>, lda: Int, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        var panel = 0
        while panel * mr < rows {
            let r0 = panel * mr
            let height = min(mr, rows - r0)
            let dst = out + panel * mr * columns
            if height == mr {
                let base = a + r0 * lda
                for p in 0..<columns {
                    let d = dst + p * mr
                    for r in 0..<mr { d[r] = base[r * lda + p] }
                }
            } else {
                for p in 0..<columns {
                    let d = dst + p * mr
                    for r in 0..<mr { d[r] = r < height ? a[(r0 + r) * lda + p] : 0 }
                }
            }
            panel += 1
        }
    }

    #if SWIFTTUNER_FMA
    /// The 4×24 register kernel on packed panels: `a` holds 4 values per step, `b` 24; the
    /// 12 accumulators take 3 vector loads and 4 broadcasts per 12 multiply-adds.
    @inline(__always)
    static func kernel(_ k: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                       _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool) {
        var c00 = V(), c01 = V(), c02 = V(), c10 = V(), c11 = V(), c12 = V()
        var c20 = V(), c21 = V(), c22 = V(), c30 = V(), c31 = V(), c32 = V()
        var ap = a, bp = b
        for _ in 0..<k {
            let b0 = load(bp), b1 = load(bp + 8), b2 = load(bp + 16)
            var s = V(repeating: ap[0]); c00 = madd(s, b0, c00); c01 = madd(s, b1, c01); c02 = madd(s, b2, c02)
            s = V(repeating: ap[1]); c10 = madd(s, b0, c10); c11 = madd(s, b1, c11); c12 = madd(s, b2, c12)
            s = V(repeating: ap[2]); c20 = madd(s, b0, c20); c21 = madd(s, b1, c21); c22 = madd(s, b2, c22)
            s = V(repeating: ap[3]); c30 = madd(s, b0, c30); c31 = madd(s, b1, c31); c32 = madd(s, b2, c32)
            ap += 4
            bp += 24
        }
        if accumulate {
            c00 += load(c); c01 += load(c + 8); c02 += load(c + 16)
            c10 += load(c + ldc); c11 += load(c + ldc + 8); c12 += load(c + ldc + 16)
            c20 += load(c + 2 * ldc); c21 += load(c + 2 * ldc + 8); c22 += load(c + 2 * ldc + 16)
            c30 += load(c + 3 * ldc); c31 += load(c + 3 * ldc + 8); c32 += load(c + 3 * ldc + 16)
        }
        store(c00, c); store(c01, c + 8); store(c02, c + 16)
        store(c10, c + ldc); store(c11, c + ldc + 8); store(c12, c + ldc + 16)
        store(c20, c + 2 * ldc); store(c21, c + 2 * ldc + 8); store(c22, c + 2 * ldc + 16)
        store(c30, c + 3 * ldc); store(c31, c + 3 * ldc + 8); store(c32, c + 3 * ldc + 16)
    }
    #else
    /// The 6×8 register kernel on packed panels: `a` holds 6 values per step, `b` 8.
    @inline(__always)
    static func kernel(_ k: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                       _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool) {
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
        var ap = a, bp = b
        for _ in 0..<k {
            let b0 = load(bp)
            c0 = madd(V(repeating: ap[0]), b0, c0)
            c1 = madd(V(repeating: ap[1]), b0, c1)
            c2 = madd(V(repeating: ap[2]), b0, c2)
            c3 = madd(V(repeating: ap[3]), b0, c3)
            c4 = madd(V(repeating: ap[4]), b0, c4)
            c5 = madd(V(repeating: ap[5]), b0, c5)
            ap += 6
            bp += 8
        }
        if accumulate {
            c0 += load(c); c1 += load(c + ldc); c2 += load(c + 2 * ldc)
            c3 += load(c + 3 * ldc); c4 += load(c + 4 * ldc); c5 += load(c + 5 * ldc)
        }
        store(c0, c); store(c1, c + ldc); store(c2, c + 2 * ldc)
        store(c3, c + 3 * ldc); store(c4, c + 4 * ldc); store(c5, c + 5 * ldc)
    }
    #endif

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
