import CTunerKernels
import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The numeric kernels of the trainer: matrix products and elementwise operations on raw
/// pointers, written for concrete `SIMD8<Float>` vectors (never generic, so that debug
/// builds stay fast enough for tests).
///
/// An optimized build chooses its matrix products when first used: where the CPU has AVX2 and
/// FMA, 6 × 16 register tiles of fused multiply-adds (C functions compiled for those
/// instructions alone, so the package needs no build flag); elsewhere 6 × 8 tiles of `a * b + c`,
/// which stay vectorized on any x86-64 or ARM CPU (a fused multiply-add without the instruction
/// set would become a per-lane library call). Built with `SWIFTTUNER_NATIVE=1`, the whole
/// trainer is compiled for AVX2 and FMA.
public enum Kernels {
    /// Which kernels this build uses, for benchmark reports.
    public static var buildDescription: String {
        switch build {
        case .debug: "debug (scalar loops)"
        case .portable: "portable (SIMD without CPU flags)"
        case .dispatched: "portable, matrix products in AVX2 + FMA kernels chosen at run time"
        case .native: "native (AVX2 + FMA, SWIFTTUNER_NATIVE=1)"
        }
    }

    /// The kernels a build runs, slowest first.
    public enum Build: Sendable, Equatable {
        /// A debug build: matrix products in scalar loops.
        case debug
        /// An optimized build on a CPU without AVX2 and FMA (or with `SWIFTTUNER_KERNELS=portable`
        /// in the environment): SIMD without CPU flags.
        case portable
        /// An optimized build on a CPU with AVX2 and FMA: the matrix products run kernels for
        /// those instructions, chosen at run time; the other operations stay portable.
        case dispatched
        /// A build for AVX2 and FMA throughout (`SWIFTTUNER_NATIVE=1`).
        case native
    }

    /// The kernels this build runs on this CPU.
    public static var build: Build {
        #if DEBUG
            .debug
        #elseif SWIFTTUNER_FMA
            .native
        #else
            wideTiles ? .dispatched : .portable
        #endif
    }

    /// Whether the products run the 6 × 16 tiles of AVX2 and FMA (``directGemm``): always in a
    /// native build; otherwise where the CPU has both, unless the environment's
    /// `SWIFTTUNER_KERNELS` is `portable` (read once, for comparisons).
    static let wideTiles: Bool = {
        #if SWIFTTUNER_FMA
            return true
        #else
            if let choice = getenv("SWIFTTUNER_KERNELS"), String(cString: choice) == "portable" { return false }
            return cpuRunsWideTiles
        #endif
    }()

    /// Whether this CPU runs the AVX2 + FMA tiles (CPUID, and the operating system saving the
    /// vector registers); a native build assumes it.
    static let cpuRunsWideTiles: Bool = {
        #if SWIFTTUNER_FMA
            return true
        #else
            return swifttuner_cpu_has_avx2_fma()
        #endif
    }()

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

    /// The arithmetic peak of one core in the products' kernels, GFLOP/s: twelve independent
    /// chains of vector multiply-adds (fused with AVX2 + FMA), no memory traffic; the best of
    /// `rounds`. Benchmarks report the products' speed as a share of it.
    ///
    /// ```swift
    /// let peak = Kernels.measuredPeak()   // about 102 on a 3.2 GHz AVX2 core
    /// ```
    public static func measuredPeak(rounds: Int = 5, steps: Int = 10_000_000) -> Double {
        var best = 0.0
        if wideTiles {
            for round in 0..<rounds {
                let start = DispatchTime.now().uptimeNanoseconds
                let sum = swifttuner_fma_chains(steps, Float(round))
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if sum == 42 { best += 0 }  // keeps the result alive
                best = max(best, Double(steps) * 12 * 16 / seconds / 1e9)
            }
            return best
        }
        for round in 0..<rounds {
            var a = (0..<12).map { V(repeating: Float($0 + round)) }
            let scale = V(repeating: 0.999_999)
            let start = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeMutableBufferPointer { chains in
                var c0 = chains[0], c1 = chains[1], c2 = chains[2], c3 = chains[3], c4 = chains[4], c5 = chains[5]
                var c6 = chains[6], c7 = chains[7], c8 = chains[8], c9 = chains[9], c10 = chains[10], c11 = chains[11]
                for _ in 0..<steps {
                    c0 = madd(c0, scale, c0); c1 = madd(c1, scale, c1); c2 = madd(c2, scale, c2);
                    c3 = madd(c3, scale, c3)
                    c4 = madd(c4, scale, c4); c5 = madd(c5, scale, c5); c6 = madd(c6, scale, c6);
                    c7 = madd(c7, scale, c7)
                    c8 = madd(c8, scale, c8); c9 = madd(c9, scale, c9); c10 = madd(c10, scale, c10);
                    c11 = madd(c11, scale, c11)
                }
                chains[0] = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if a[0][0] == 42 { best += 0 }  // keeps the result alive
            best = max(best, Double(steps) * 12 * 16 / seconds / 1e9)
        }
        return best
    }

    /// The square roots of eight non-negative values, to within two units in the last place.
    ///
    /// The standard library takes a vector's square root one lane at a time, through a call
    /// that checks for negative values; this estimates the reciprocal root from the float's
    /// bits and refines it with Newton steps, all in vector arithmetic. Zero gives zero;
    /// values under the smallest normal float (where the estimate is coarse) stay under it.
    @inline(__always)
    static func squareRoot(_ v: V) -> V {
        let bits = unsafeBitCast(v, to: SIMD8<UInt32>.self)
        var y = unsafeBitCast(SIMD8<UInt32>(repeating: 0x5F37_5A86) &- (bits &>> 1), to: V.self)
        let half = v * 0.5
        y = y * (1.5 - half * y * y)
        y = y * (1.5 - half * y * y)
        y = y * (1.5 - half * y * y)
        // A last Newton step on the root itself recovers the bits lost in the products.
        let r = v * y
        return r + (v - r * r) * (y * 0.5)
    }

    /// `C = A·B` (or `C += A·B` when `accumulate`), row-major, C is m×n (row stride `ldc`).
    ///
    /// A is m×k (row stride `lda`), or with `transposeA` stored as its k×m transpose; B is k×n
    /// (`ldb`), or with `transposeB` stored as its n×k transpose. The backward pass of a dense
    /// layer needs Xᵀ·dY and dY·Wᵀ: the transposes are read in place, never copied.
    ///
    /// Register-blocked: a tile of C (6 × 16 with AVX2, 6 × 8 without) stays in registers while
    /// the product runs over k, on cache-blocked panels of B packed in strips; a one-column
    /// product is a run of dot products.
    ///
    /// ```swift
    /// // dW = Xᵀ·dY for a batch of 32 rows of 20 inputs and 64 units
    /// Kernels.gemm(m: 20, n: 64, k: 32, x, lda: 20, dy, ldb: 64, dw, ldc: 64, transposeA: true)
    /// ```
    public static func gemm(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, lda: Int,
        _ b: UnsafePointer<Float>, ldb: Int,
        _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false,
        transposeA: Bool = false, transposeB: Bool = false
    ) {
        #if DEBUG
            // Unoptimized builds do not specialize the standard library's SIMD operators, which
            // makes vector code there 100× slower than plain scalar loops: tests use these.
            scalarGemm(
                m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, c, ldc: ldc, accumulate: accumulate,
                transposeA: transposeA, transposeB: transposeB)
            return
        #else
            if m == 0 || n == 0 { return }
            if k == 0 {
                if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
                return
            }
            if n == 1 {
                columnGemm(
                    m: m, k: k, a, lda: lda, b, ldb: ldb, c, ldc: ldc, accumulate: accumulate,
                    transposeA: transposeA, transposeB: transposeB)
            } else if wideTiles {
                directGemm(
                    m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, c, ldc: ldc, accumulate: accumulate,
                    transposeA: transposeA, transposeB: transposeB)
            } else {
                packedGemm(
                    m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, c, ldc: ldc, accumulate: accumulate,
                    transposeA: transposeA, transposeB: transposeB)
            }
        #endif
    }

    /// Block sizes of the portable product: a KC×NC panel of B (256 × 128 floats, 128 KiB)
    /// stays in L2 while the rows of A stream through L1. (With AVX2 + FMA the blocks depend
    /// on k: ``directBlocks(k:)``.)
    static let kc = 256, nc = 128, mc = 96
    /// The portable register tile: mr rows × nr columns of C (SSE2: an 8-float vector is two xmm
    /// registers, so 6 × 8 keeps its 12 accumulator halves within the 16 registers).
    static let mr = 6, nr = 8
    /// The columns of the AVX2 + FMA register tile, 6 × 16: 12 ymm accumulators, two vectors of
    /// B and one broadcast of A per step.
    static let wideNR = 16

    /// The one-column product (a dense layer of one unit): each value of C is a dot product
    /// of a row of A with B, eight lanes at a time; with `transposeA`, C accumulates the rows
    /// of the stored k×m matrix scaled by B's values.
    static func columnGemm(
        m: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
        _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
        transposeA: Bool, transposeB: Bool
    ) {
        // B's column, contiguous.
        let stride = transposeB ? 1 : ldb
        withScratch(k + m) { column in
            let sums = column + k
            var p = 0
            while p < k { column[p] = b[p &* stride]; p &+= 1 }
            if transposeA {
                // sums[i] = Σ_p a[p·lda + i]·column[p], eight values of i at a time.
                var i = 0
                while i + 8 <= m {
                    var s0 = V(), s1 = V()
                    var row = a + i, q = 0
                    while q + 2 <= k {
                        s0 = madd(V(repeating: column[q]), load(row), s0)
                        s1 = madd(V(repeating: column[q + 1]), load(row + lda), s1)
                        row += 2 * lda
                        q += 2
                    }
                    if q < k { s0 = madd(V(repeating: column[q]), load(row), s0) }
                    store(s0 + s1, sums + i)
                    i += 8
                }
                while i < m {
                    var s: Float = 0
                    for q in 0..<k { s += a[q * lda + i] * column[q] }
                    sums[i] = s
                    i += 1
                }
            } else {
                for i in 0..<m {
                    let row = a + i * lda
                    var s0 = V(), s1 = V(), q = 0
                    while q + 16 <= k {
                        s0 = madd(load(row + q), load(column + q), s0)
                        s1 = madd(load(row + q + 8), load(column + q + 8), s1)
                        q += 16
                    }
                    if q + 8 <= k {
                        s0 = madd(load(row + q), load(column + q), s0)
                        q += 8
                    }
                    var s = (s0 + s1).sum()
                    while q < k { s += row[q] * column[q]; q += 1 }
                    sums[i] = s
                }
            }
            for i in 0..<m { c[i * ldc] = accumulate ? c[i * ldc] + sums[i] : sums[i] }
        }
    }

    /// The portable cache-blocked product: B is packed in nr-column strips, zero-padded, so the
    /// register kernel reads it sequentially and every edge (narrow outputs, odd batch sizes)
    /// runs the same kernel; A is packed in mr-row panels too. (With AVX2 + FMA, A is read in
    /// place: ``directGemm``.)
    static func packedGemm(
        m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int,
        _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool, transposeA: Bool = false, transposeB: Bool = false
    ) {
        let kcMax = min(k, kc), ncMax = min(n, nc), mcMax = min(m, mc)
        let stripsMax = (ncMax + nr - 1) / nr, panelsMax = (mcMax + mr - 1) / mr
        withScratch(stripsMax * nr * kcMax + panelsMax * mr * kcMax + mr * nr) { bp in
            let ap = bp + stripsMax * nr * kcMax
            let tile = ap + panelsMax * mr * kcMax
            var jc = 0
            while jc < n {
                let nb = min(nc, n - jc)
                let strips = (nb + nr - 1) / nr
                var pc = 0
                while pc < k {
                    let kb = min(kc, k - pc)
                    packB(
                        b, ldb: ldb, row: pc, column: jc, rows: kb, columns: nb, transposed: transposeB,
                        width: nr, into: bp)
                    let add = accumulate || pc > 0
                    var ic = 0
                    while ic < m {
                        let mb = min(mc, m - ic)
                        let panels = (mb + mr - 1) / mr
                        packA(
                            a, lda: lda, row: ic, column: pc, rows: mb, columns: kb, transposed: transposeA,
                            into: ap)
                        for panel in 0..<panels {
                            let rows = min(mr, mb - panel * mr)
                            for strip in 0..<strips {
                                let columns = min(nr, nb - strip * nr)
                                let cTile = c + (ic + panel * mr) * ldc + jc + strip * nr
                                if rows == mr && columns == nr {
                                    kernel(kb, ap + panel * mr * kb, bp + strip * nr * kb, cTile, ldc, add)
                                } else {
                                    kernel(kb, ap + panel * mr * kb, bp + strip * nr * kb, tile, nr, false)
                                    storeTile(
                                        tile, rows: rows, columns: columns, width: nr, into: cTile, ldc: ldc,
                                        add: add)
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

    /// Runs `body` on `count` floats of scratch memory that start on a cache line, so that no
    /// vector load of a packed strip straddles two lines (measured 1–2 % on the larger products);
    /// the memory is this thread's ``Scratch`` block, kept between calls.
    @inline(__always)
    static func withScratch(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        Scratch.with(count, body)
    }

    /// Copies (or adds) the first rows × columns of a tile computed aside (`width` columns a
    /// row) into C.
    @inline(__always)
    static func storeTile(
        _ tile: UnsafePointer<Float>, rows: Int, columns: Int, width nr: Int, into c: UnsafeMutablePointer<Float>,
        ldc: Int, add: Bool
    ) {
        for r in 0..<rows {
            let dst = c + r * ldc, src = tile + r * nr
            if add {
                var j = 0
                while j + 8 <= columns { store(load(dst + j) + load(src + j), dst + j); j += 8 }
                while j < columns { dst[j] += src[j]; j += 1 }
            } else {
                copyShort(src, dst, count: columns)
            }
        }
    }

    /// Copies `count` floats, at most 16, without a loop: a copy loop of unknown length
    /// compiles to a library call, which costs more than the copy itself at these lengths
    /// (a row of a partial tile, or of a partial strip of B). Lengths of 4 or more are two
    /// vector copies that may overlap.
    @inline(__always)
    static func copyShort(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        typealias W = SIMD4<Float>
        if count >= 8 {
            store(load(src), dst)
            store(load(src + count - 8), dst + count - 8)
        } else if count >= 4 {
            let head = UnsafeRawPointer(src).loadUnaligned(as: W.self)
            let tail = UnsafeRawPointer(src + count - 4).loadUnaligned(as: W.self)
            UnsafeMutableRawPointer(dst).storeBytes(of: head, as: W.self)
            UnsafeMutableRawPointer(dst + count - 4).storeBytes(of: tail, as: W.self)
        } else {
            if count > 0 { dst[0] = src[0] }
            if count > 1 { dst[1] = src[1] }
            if count > 2 { dst[2] = src[2] }
        }
    }

    /// Packs the rows×columns block of B at (`row`, `column`) into strips of `width` (nr)
    /// columns, each `rows` × nr, zero-padded; `transposed`: B is stored as its transpose.
    static func packB(
        _ b: UnsafePointer<Float>, ldb: Int, row: Int, column: Int, rows: Int, columns: Int,
        transposed: Bool, width nr: Int, into out: UnsafeMutablePointer<Float>
    ) {
        var strip = 0
        if !transposed {
            // Four whole strips at a time: each stored row gives four consecutive cache lines
            // (one line per row and strip measured ~30 % slower).
            let stride = nr * rows
            while (strip + 4) * nr <= columns {
                let src = b + row * ldb + column + strip * nr, dst = out + strip * stride
                for p in 0..<rows {
                    let s = src + p * ldb, d = dst + p * nr
                    for q in 0..<4 {
                        var j = 0
                        while j < nr {
                            store(load(s + q * nr + j), d + q * stride + j)
                            j += 8
                        }
                    }
                }
                strip += 4
            }
        }
        while strip * nr < columns {
            let j0 = column + strip * nr
            let width = min(nr, columns - strip * nr)
            let dst = out + strip * nr * rows
            if width < nr {
                // A partial strip: zeros first, in whole vectors (a fill of the short tail of
                // each row compiles to one library call per row).
                var q = 0
                while q < rows * nr {
                    store(V(), dst + q)
                    q += 8
                }
            }
            if transposed {
                // Column j of B is row j of the stored matrix: 4 × 4 blocks transposed in
                // registers, the edges one value at a time.
                let src = b + j0 * ldb + row
                let width4 = width & ~3, rows4 = rows & ~3
                var j = 0
                while j < width4 {
                    var p = 0
                    while p < rows4 {
                        transpose4(src + j * ldb + p, ldb, dst + p * nr + j, nr)
                        p += 4
                    }
                    while p < rows {
                        for jj in j..<(j + 4) { dst[p * nr + jj] = src[jj * ldb + p] }
                        p += 1
                    }
                    j += 4
                }
                while j < width {
                    for p in 0..<rows { dst[p * nr + j] = src[j * ldb + p] }
                    j += 1
                }
            } else if width == nr {
                for p in 0..<rows {
                    let src = b + (row + p) * ldb + j0, d = dst + p * nr
                    var j = 0
                    while j < nr {
                        store(load(src + j), d + j)
                        j += 8
                    }
                }
            } else {
                for p in 0..<rows {
                    let src = b + (row + p) * ldb + j0, d = dst + p * nr
                    copyShort(src, d, count: width)
                }
            }
            strip += 1
        }
    }

    /// Writes the transpose of the 4 × 4 block at `src` (row stride `ld`) at `dst` (row stride
    /// `ldd`), with vector shuffles: two rounds of de-interleaving transpose a 4 × 4 block.
    @inline(__always)
    static func transpose4(_ src: UnsafePointer<Float>, _ ld: Int, _ dst: UnsafeMutablePointer<Float>, _ ldd: Int) {
        typealias W = SIMD4<Float>
        func load(_ p: UnsafePointer<Float>) -> W { UnsafeRawPointer(p).loadUnaligned(as: W.self) }
        func unshuffle(_ r: (W, W, W, W)) -> (W, W, W, W) {
            let p0 = SIMD8(lowHalf: r.0, highHalf: r.1), p1 = SIMD8(lowHalf: r.2, highHalf: r.3)
            return (p0.evenHalf, p1.evenHalf, p0.oddHalf, p1.oddHalf)
        }
        let r = unshuffle(unshuffle((load(src), load(src + ld), load(src + 2 * ld), load(src + 3 * ld))))
        UnsafeMutableRawPointer(dst).storeBytes(of: r.0, as: W.self)
        UnsafeMutableRawPointer(dst + ldd).storeBytes(of: r.1, as: W.self)
        UnsafeMutableRawPointer(dst + 2 * ldd).storeBytes(of: r.2, as: W.self)
        UnsafeMutableRawPointer(dst + 3 * ldd).storeBytes(of: r.3, as: W.self)
    }

    /// Packs the rows×columns block of A at (`row`, `column`) into mr-row panels, column after
    /// column (mr values each), zero-padded; `transposed`: A is stored as its transpose.
    static func packA(
        _ a: UnsafePointer<Float>, lda: Int, row: Int, column: Int, rows: Int, columns: Int,
        transposed: Bool, into out: UnsafeMutablePointer<Float>
    ) {
        var panel = 0
        while panel * mr < rows {
            let r0 = row + panel * mr
            let height = min(mr, rows - panel * mr)
            let dst = out + panel * mr * columns
            for p in 0..<columns {
                let d = dst + p * mr
                if transposed {
                    let src = a + (column + p) * lda + r0
                    for r in 0..<mr { d[r] = r < height ? src[r] : 0 }
                } else {
                    let src = a + r0 * lda + column + p
                    for r in 0..<mr { d[r] = r < height ? src[r * lda] : 0 }
                }
            }
            panel += 1
        }
    }

    /// The product with AVX2 + FMA, on the register tiles of CTunerKernels (C functions compiled
    /// for those instructions by a function attribute, so every build has them; called only where
    /// the CPU runs them): B packed in 16-column strips (a KC × NC block at a time,
    /// kept in L2), A read six rows at a time from L1. A is read in place, except a transposed
    /// A with long stored rows: its successive values lie a whole stored row apart (1 KiB or
    /// more), which maps them to a few cache sets, so it is first copied into 6-row panels —
    /// once per KC block of k for up to ``panelRows(kc:)`` rows, whatever the number of B blocks.
    /// The rows are covered by 6- and 4-row tiles (32 = 4 × 6 + 2 × 4), so edges waste nothing
    /// unless m is odd or a strip is partial. A small B stored as is, in whole strips (at most
    /// ``inPlaceFloats`` values, n a multiple of 16), is read in place: it stays in L1, and
    /// copying it cost 5–7 % of the small products (paired against OpenBLAS).
    static func directGemm(
        m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int,
        _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool, transposeA: Bool, transposeB: Bool
    ) {
        let nr = wideNR
        let packed = transposeA && lda >= 256 && n > nr
        let inPlace = !transposeB && n % nr == 0 && k * n <= inPlaceFloats
        // Row p of a strip of B starts p·bStep after its first.
        let bStep = inPlace ? ldb : nr
        let (kc, nc) = directBlocks(k: k)
        let mcMax = packed ? min(m, panelRows(kc: kc)) : m
        // Packed strips of B: none when B is read in place.
        let stripFloats = inPlace ? 0 : (min(n, nc) + nr - 1) / nr * nr * kc
        // A panel holds mr values per step, plus room for the last 8-wide store's overhang.
        let panelSize = mr * kc + 8
        let panelsMax = packed ? tileCount(mcMax) : 0
        withScratch(stripFloats + mr * nr + panelsMax * panelSize) { bp in
            let tile = bp + stripFloats
            let panels = tile + mr * nr
            // Element (i + r, pc + p) of A is at start(r) + p·step.
            let step = packed ? mr : (transposeA ? lda : 1)
            var pc = 0
            while pc < k {
                let kb = min(kc, k - pc)
                let add = accumulate || pc > 0
                var ic = 0
                while ic < m {
                    let mb = min(mcMax, m - ic)
                    if packed {
                        packPanels(
                            a, lda: lda, row: ic, column: pc, rows: mb, columns: kb, into: panels, size: panelSize)
                    }
                    var jc = 0
                    while jc < n {
                        let nb = min(nc, n - jc)
                        let strips = (nb + nr - 1) / nr
                        if !inPlace {
                            packB(
                                b, ldb: ldb, row: pc, column: jc, rows: kb, columns: nb, transposed: transposeB,
                                width: nr, into: bp)
                        }
                        var i = ic, panel = panels
                        while i < ic + mb {
                            let rows = tileRows(ic + mb - i)
                            let last = rows - 1
                            func start(_ r: Int) -> UnsafePointer<Float> {
                                if packed { return UnsafePointer(panel + min(r, last)) }
                                let row = i + min(r, last)
                                return transposeA ? a + pc * lda + row : a + row * lda + pc
                            }
                            let r0 = start(0), r1 = start(1), r2 = start(2), r3 = start(3)
                            for strip in 0..<strips {
                                let columns = min(nr, nb - strip * nr)
                                let bs =
                                    inPlace ? b + (pc * ldb + jc + strip * nr) : UnsafePointer(bp + strip * nr * kb)
                                let cTile = c + i * ldc + jc + strip * nr
                                let whole = columns == nr && (rows == 6 || rows == 4)
                                let out = whole ? cTile : tile, ld = whole ? ldc : nr
                                if columns <= 8 {
                                    // A strip's first half is enough: half the work.
                                    swifttuner_kernel6x8(
                                        kb, r0, r1, r2, r3, rows == 6 ? start(4) : r3, rows == 6 ? start(5) : r3,
                                        step, bs, tile, nr)
                                } else if rows == 6 {
                                    swifttuner_kernel6x16(
                                        kb, r0, r1, r2, r3, start(4), start(5), step, bs, bStep, out, ld,
                                        whole && add)
                                } else {
                                    swifttuner_kernel4x16(kb, r0, r1, r2, r3, step, bs, bStep, out, ld, whole && add)
                                }
                                if !whole {
                                    storeTile(
                                        tile, rows: rows, columns: columns, width: nr, into: cTile, ldc: ldc, add: add)
                                }
                            }
                            i += rows
                            panel += panelSize
                        }
                        jc += nb
                    }
                    ic += mb
                }
                pc += kb
            }
        }
    }

    /// The blocks of B with AVX2 + FMA: k in as few blocks of at most 512 steps as possible,
    /// of equal depth, and as many columns as keep a block within 128 KiB — a quarter of a
    /// 512 KiB L2, leaving room for A and C passing through, and for a neighbour on the same
    /// core. (Paired against OpenBLAS on a busy machine, 256 × 128 blocks were 3–8 % faster
    /// than 256 × 256 on the products wider than 128 columns, and for k = 512 one block of
    /// 512 × 64, C read and written once, 1–5 % faster than two of 256 × 128; but those builds
    /// placed the kernel's loop differently. With loops aligned, blocks of 256 or 512 steps and
    /// of 128 or 256 KiB measured within the noise of each other.)
    static func directBlocks(k: Int) -> (kc: Int, nc: Int) {
        let blocks = (k + 511) / 512
        let kc = (k + blocks - 1) / blocks
        return (kc, max(wideNR, 32_768 / kc / wideNR * wideNR))
    }

    /// The most values of a B that ``directGemm`` reads in place: 16 KiB, half of L1.
    static let inPlaceFloats = 4096

    /// The most rows of a transposed A copied into panels at a time, for a block of `kc`
    /// steps: about 1 MiB of panels (1,020 rows, 170 tiles of 6, of 256 steps).
    static func panelRows(kc: Int) -> Int { max(mr, 261_120 / kc / mr * mr) }

    /// The rows of the tile that starts with `left` rows to go: 6; 4 when 4 or 8 are left (no
    /// waste); 1–3 as a 4-row tile whose extra rows repeat the last one and are not stored.
    @inline(__always)
    static func tileRows(_ left: Int) -> Int { left >= 6 && left != 8 ? 6 : min(left, 4) }

    /// The number of tiles that cover `rows` rows.
    static func tileCount(_ rows: Int) -> Int {
        var count = 0, i = 0
        while i < rows { i += tileRows(rows - i); count += 1 }
        return count
    }

    /// Copies rows `row`..<`row + rows` of a transposed A (stored k × m), steps
    /// `column`..<`column + columns`, into one panel per row tile, `size` floats apart: mr
    /// values per step, a short tile's missing rows repeating its last row.
    ///
    /// The steps go ``packSteps`` at a time: each panel receives a contiguous run of values,
    /// read from that many stored rows side by side, a line of each serving the next two or
    /// three tiles from L1. (One step at a time across all panels wrote to as many distant
    /// lines as there are tiles: measured 2–5× slower, 5–17 % of the product's time.)
    static func packPanels(
        _ a: UnsafePointer<Float>, lda: Int, row: Int, column: Int, rows: Int, columns: Int,
        into panels: UnsafeMutablePointer<Float>, size: Int
    ) {
        let m = row + rows
        var p0 = 0
        while p0 < columns {
            let p1 = min(columns, p0 + packSteps)
            var i = row, panel = panels
            while i < m {
                let height = tileRows(m - i)
                if i + 8 <= m {
                    // 8 values stored, 6 kept: the next step's (or the overhang's) first 2 are
                    // overwritten later.
                    var source = a + (column + p0) * lda + i, dst = panel + p0 * mr
                    for _ in p0..<p1 {
                        store(load(source), dst)
                        source += lda
                        dst += mr
                    }
                } else {
                    for p in p0..<p1 {
                        let source = a + (column + p) * lda, dst = panel + p * mr
                        for r in 0..<mr { dst[r] = source[i + min(r, height - 1)] }
                    }
                }
                i += height
                panel += size
            }
            p0 = p1
        }
    }

    /// The steps of k that ``packPanels`` copies at a time (4, 8, 16 and 32 measured: 16 and 32
    /// the fastest).
    static let packSteps = 16

    /// The 6×8 register kernel on packed panels: `a` holds 6 values per step, `b` 8.
    @inline(__always)
    static func kernel(
        _ k: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
    ) {
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

    /// The plain product, for unoptimized builds (and as a reference). Written with `while`
    /// and wrapping arithmetic, which unoptimized builds compile to plain instructions, where
    /// a `for … in` range or a SIMD operator is a function call per step.
    static func scalarGemm(
        m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int,
        _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool, transposeA: Bool = false, transposeB: Bool = false
    ) {
        // Element (i, p) of A is at a[i·aRow + p·aColumn].
        let aRow = transposeA ? 1 : lda, aColumn = transposeA ? lda : 1
        var i = 0
        if transposeB {
            // C[i, j] = Σ_p A(i, p)·(stored B)[j, p]: a dot product along the stored rows.
            while i < m {
                let ci = c + i &* ldc, ai = a + i &* aRow
                var j = 0
                while j < n {
                    let bj = b + j &* ldb
                    var s: Float = 0
                    var p = 0
                    while p < k { s += ai[p &* aColumn] * bj[p]; p = p &+ 1 }
                    ci[j] = accumulate ? ci[j] + s : s
                    j = j &+ 1
                }
                i = i &+ 1
            }
            return
        }
        while i < m {
            let ci = c + i &* ldc
            if !accumulate { ci.update(repeating: 0, count: n) }
            let ai = a + i &* aRow
            var p = 0
            while p < k {
                let s = ai[p &* aColumn]
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
