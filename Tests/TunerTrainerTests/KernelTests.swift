import Foundation
import TunerRandom
@testable import TunerTrainer
import XCTest

/// The matrix product against a plain triple loop, on every edge of the register blocking.
final class KernelTests: XCTestCase {
    func naive(_ a: Matrix, _ b: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, columns: b.columns)
        for i in 0..<a.rows {
            for j in 0..<b.columns {
                var s: Double = 0
                for p in 0..<a.columns { s += Double(a[i, p]) * Double(b[p, j]) }
                c[i, j] = Float(s)
            }
        }
        return c
    }

    func random(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix {
        var rng = SplitMix64(seed: seed)
        var m = Matrix(rows: rows, columns: columns)
        for i in 0..<rows { for j in 0..<columns { m[i, j] = Float(rng.nextDouble() * 2 - 1) } }
        return m
    }

    func testGemmMatchesTheDefinitionOnEveryTileEdge() throws {
        var seed: UInt64 = 1
        for m in [1, 5, 6, 7, 12, 13, 32] {
            for n in [1, 7, 8, 15, 16, 17, 33, 64] {
                for k in [1, 3, 20, 64] {
                    seed += 1
                    let a = random(m, k, seed: seed), b = random(k, n, seed: seed + 1000)
                    let c = try a.matmul(b)
                    let expected = naive(a, b)
                    for i in 0..<(m * n) {
                        XCTAssertEqual(c.storage[i], expected.storage[i], accuracy: 1e-4, "\(m)×\(k)·\(k)×\(n) at \(i)")
                    }
                }
            }
        }
    }

    /// The stored form of an operand: itself, or its transpose.
    func stored(_ x: Matrix, transposed: Bool) -> Matrix { transposed ? x.transposed : x }

    /// Runs one of the products on A·B, each operand stored as given, into a C of `initial`.
    func product(
        _ kind: String, _ a: Matrix, _ b: Matrix, transposeA: Bool, transposeB: Bool, accumulate: Bool,
        initial: Float
    ) -> Matrix {
        let m = a.rows, k = a.columns, n = b.columns
        let sa = stored(a, transposed: transposeA), sb = stored(b, transposed: transposeB)
        var c = Matrix(rows: m, columns: n, repeating: initial)
        sa.withUnsafePointer { ap in
            sb.withUnsafePointer { bp in
                c.withUnsafeMutablePointer { cp in
                    switch kind {
                    case "packed":
                        Kernels.packedGemm(
                            m: m, n: n, k: k, ap, lda: sa.columns, bp, ldb: sb.columns, cp, ldc: n,
                            accumulate: accumulate,
                            transposeA: transposeA, transposeB: transposeB)
                    case "direct":
                        Kernels.directGemm(
                            m: m, n: n, k: k, ap, lda: sa.columns, bp, ldb: sb.columns, cp, ldc: n,
                            accumulate: accumulate,
                            transposeA: transposeA, transposeB: transposeB)
                    case "column":
                        Kernels.columnGemm(
                            m: m, k: k, ap, lda: sa.columns, bp, ldb: sb.columns, cp, ldc: n, accumulate: accumulate,
                            transposeA: transposeA, transposeB: transposeB)
                    default:
                        Kernels.gemm(
                            m: m, n: n, k: k, ap, lda: sa.columns, bp, ldb: sb.columns, cp, ldc: n,
                            accumulate: accumulate,
                            transposeA: transposeA, transposeB: transposeB)
                    }
                }
            }
        }
        return c
    }

    /// The register-blocked products an optimized build chooses from: the portable one, and
    /// the AVX2 + FMA one where this CPU runs it.
    var blockedKinds: [String] { Kernels.cpuRunsWideTiles ? ["packed", "direct"] : ["packed"] }

    /// The register-blocked products run in optimized builds only; test them directly, across
    /// the cache blocks (k, n and m larger than one block), every tile edge, and both operands
    /// stored transposed.
    func testPackedGemmMatchesTheDefinition() throws {
        for kind in blockedKinds { try checkBlockedGemm(kind) }
    }

    func checkBlockedGemm(_ kind: String) throws {
        var seed: UInt64 = 500
        for (m, n, k) in [
            (1, 1, 1), (3, 5, 7), (4, 24, 8), (6, 8, 3), (7, 25, 9), (13, 10, 33), (32, 64, 20), (8, 16, 5),
            (9, 17, 4), (20, 64, 32), (97, 30, 257), (5, 265, 40), (100, 270, 300), (40, 1, 30), (50, 3, 17),
            (64, 10, 40), (300, 5, 280), (263, 40, 19), (270, 33, 300), (1030, 20, 10),
            (880, 20, 300), (30, 200, 600),
            // A small B in whole strips, read in place: the smallest, an odd k, the
            // largest (``Kernels/inPlaceFloats``), and one value count past it.
            (6, 16, 1), (13, 48, 85), (7, 32, 128), (7, 32, 129),
        ] {
            for accumulate in [false, true] {
                for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                    seed += 1
                    let a = random(m, k, seed: seed), b = random(k, n, seed: seed + 7)
                    let c = product(
                        kind, a, b, transposeA: transposeA, transposeB: transposeB, accumulate: accumulate,
                        initial: accumulate ? 0.5 : 9)
                    let expected = naive(a, b)
                    for i in 0..<(m * n) {
                        XCTAssertEqual(
                            c.storage[i], expected.storage[i] + (accumulate ? 0.5 : 0), accuracy: 2e-3,
                            "\(kind) \(m)×\(k)·\(k)×\(n) accumulate \(accumulate) Aᵀ \(transposeA) Bᵀ \(transposeB)"
                                + " at \(i)")
                    }
                }
            }
        }
    }

    /// A B narrower than its stored rows (the first 32 of 37 stored columns, so most rows start
    /// off a vector's alignment) into a C narrower than its own (32 of 36): the native build
    /// reads a B this small in place, by its stride.
    func testSmallBIsReadInPlaceWithItsRowStride() {
        let (m, n, k, ldb, ldc) = (13, 32, 20, 37, 36)
        let a = random(m, k, seed: 1300), wide = random(k, ldb, seed: 1301)
        var b = Matrix(rows: k, columns: n)
        for p in 0..<k { for j in 0..<n { b[p, j] = wide[p, j] } }
        let expected = naive(a, b)
        for kind in blockedKinds {
            var c = Matrix(rows: m, columns: ldc, repeating: 7)
            a.withUnsafePointer { ap in
                wide.withUnsafePointer { bp in
                    c.withUnsafeMutablePointer { cp in
                        if kind == "direct" {
                            Kernels.directGemm(
                                m: m, n: n, k: k, ap, lda: k, bp, ldb: ldb, cp, ldc: ldc, accumulate: false,
                                transposeA: false, transposeB: false)
                        } else {
                            Kernels.packedGemm(
                                m: m, n: n, k: k, ap, lda: k, bp, ldb: ldb, cp, ldc: ldc, accumulate: false,
                                transposeA: false, transposeB: false)
                        }
                    }
                }
            }
            for i in 0..<m {
                for j in 0..<ldc {
                    XCTAssertEqual(c[i, j], j < n ? expected[i, j] : 7, accuracy: 1e-4, "\(kind) C[\(i), \(j)]")
                }
            }
        }
    }

    /// The one-column product (a layer of one unit), in every storage and on both sides of
    /// its eight-lane blocks.
    func testColumnGemmMatchesTheDefinition() throws {
        var seed: UInt64 = 900
        for (m, k) in [(1, 1), (7, 3), (8, 8), (9, 15), (32, 32), (33, 17), (100, 64)] {
            for accumulate in [false, true] {
                for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                    seed += 1
                    let a = random(m, k, seed: seed), b = random(k, 1, seed: seed + 3)
                    for kind in ["column", "gemm"] {
                        let c = product(
                            kind, a, b, transposeA: transposeA, transposeB: transposeB, accumulate: accumulate,
                            initial: accumulate ? -1 : 5)
                        let expected = naive(a, b)
                        for i in 0..<m {
                            XCTAssertEqual(
                                c.storage[i], expected.storage[i] + (accumulate ? -1 : 0), accuracy: 1e-4,
                                "\(kind) \(m)×\(k) accumulate \(accumulate) Aᵀ \(transposeA) Bᵀ \(transposeB) at \(i)")
                        }
                    }
                }
            }
        }
    }

    func testGemmReadsTransposedOperandsInPlace() throws {
        var seed: UInt64 = 1200
        for (m, n, k) in [(5, 7, 3), (20, 64, 32), (32, 20, 64), (13, 1, 9)] {
            for (transposeA, transposeB) in [(true, false), (false, true), (true, true)] {
                seed += 1
                let a = random(m, k, seed: seed), b = random(k, n, seed: seed + 1)
                let c = product(
                    "gemm", a, b, transposeA: transposeA, transposeB: transposeB, accumulate: false, initial: 3)
                let expected = naive(a, b)
                for i in 0..<(m * n) { XCTAssertEqual(c.storage[i], expected.storage[i], accuracy: 1e-4) }
            }
        }
    }

    /// An optimized build runs the AVX2 + FMA tiles wherever the CPU has them, unless told
    /// otherwise; a debug build says it runs scalar loops.
    func testTheBuildChoosesTheWideTilesWhereTheCPURunsThem() {
        #if DEBUG
            XCTAssertEqual(Kernels.build, .debug)
        #else
            let portable = ProcessInfo.processInfo.environment["SWIFTTUNER_KERNELS"] == "portable"
            XCTAssertEqual(Kernels.wideTiles, Kernels.cpuRunsWideTiles && !portable)
            XCTAssert([.dispatched, .native].contains(Kernels.build) == Kernels.wideTiles, "\(Kernels.build)")
        #endif
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if flags.contains(" avx2 ") && flags.contains(" fma ") {
            XCTAssert(Kernels.cpuRunsWideTiles, "this CPU lists avx2 and fma")
        }
    }

    func testVectorSquareRootIsWithinTwoUnitsInTheLastPlace() {
        var rng = SplitMix64(seed: 5)
        var worst: Float = 0
        for _ in 0..<4000 {
            // Magnitudes across the range Adam's second moments take (1e-30 … 1e30).
            let values = (0..<8).map { _ in Float(rng.nextDouble()) * Float(pow(10, rng.nextDouble() * 60 - 30)) }
            let roots = Kernels.squareRoot(SIMD8<Float>(values))
            for (i, value) in values.enumerated() {
                let exact = value.squareRoot()
                worst = max(worst, abs(roots[i] - exact) / exact.ulp)
            }
        }
        XCTAssertLessThanOrEqual(worst, 2, "worst error \(worst) ulp")
        let edges = Kernels.squareRoot(
            SIMD8<Float>(0, 1, 4, 0.25, Float.leastNormalMagnitude, Float.leastNonzeroMagnitude * 64, 3.4e38, 2))
        XCTAssertEqual(edges[0], 0)
        XCTAssertEqual(edges[1], 1, accuracy: 2 * Float(1).ulp)
        XCTAssertEqual(edges[2], 2, accuracy: 2 * Float(2).ulp)
        XCTAssertEqual(edges[3], 0.5, accuracy: 2 * Float(0.5).ulp)
        XCTAssert(edges[5] >= 0 && edges[5] < 1e-19, "a subnormal value's root stays tiny: \(edges[5])")
        XCTAssert(edges[6].isFinite && abs(edges[6] - Float(3.4e38).squareRoot()) <= 2 * edges[6].ulp)
    }

    func testGemmAccumulates() {
        let a = random(7, 5, seed: 1), b = random(5, 19, seed: 2)
        var c = Matrix(rows: 7, columns: 19, repeating: 1)
        a.withUnsafePointer { ap in
            b.withUnsafePointer { bp in
                c.withUnsafeMutablePointer { cp in
                    Kernels.gemm(m: 7, n: 19, k: 5, ap, lda: 5, bp, ldb: 19, cp, ldc: 19, accumulate: true)
                }
            }
        }
        let expected = naive(a, b)
        for i in 0..<(7 * 19) { XCTAssertEqual(c.storage[i], expected.storage[i] + 1, accuracy: 1e-4) }
    }

    /// Layer buffers and the products' scratch start on a cache line, whatever their size.
    func testBuffersAndScratchStartOnACacheLine() {
        for count in [1, 3, 17, 1000, 70_000] {
            XCTAssertEqual(UInt(bitPattern: Buffer(count).pointer) % 64, 0, "Buffer(\(count))")
            XCTAssertEqual(UInt(bitPattern: Buffer(copying: [Float](repeating: 2, count: count)).pointer) % 64, 0)
            Kernels.withScratch(count) { XCTAssertEqual(UInt(bitPattern: $0) % 64, 0, "scratch of \(count)") }
        }
        XCTAssertEqual(Buffer(copying: [1, 2, 3]).array(), [1, 2, 3])
    }

    /// Scratch memory is one block per thread, kept and grown between calls; a nested request
    /// gets memory of its own; products on several threads at once each use their own block.
    func testScratchIsReusedPerThreadAndNestsSafely() {
        Kernels.withScratch(16) { outer in
            outer.initialize(repeating: 1, count: 16)
            Kernels.withScratch(100_000) { inner in
                XCTAssertNotEqual(outer, inner)
                XCTAssertEqual(UInt(bitPattern: inner) % 64, 0)
                inner.initialize(repeating: 2, count: 100_000)
            }
            XCTAssertEqual(Array(UnsafeBufferPointer(start: outer, count: 16)), [Float](repeating: 1, count: 16))
        }
        var first: UnsafeMutablePointer<Float>?
        Kernels.withScratch(8) { first = $0 }
        Kernels.withScratch(8) { XCTAssertEqual($0, first, "the block is kept between calls") }
        Kernels.withScratch(50_000) { $0.initialize(repeating: 3, count: 50_000) }

        let shapes = [(97, 30, 257), (20, 64, 32), (263, 40, 19), (300, 24, 20), (7, 25, 9)]
        let errors = UnsafeMutableBufferPointer<Float>.allocate(capacity: 20)
        defer { errors.deallocate() }
        // Each iteration writes its own slot and only reads the test's helpers.
        nonisolated(unsafe) let test = self, results = errors
        DispatchQueue.concurrentPerform(iterations: errors.count) { index in
            let (m, n, k) = shapes[index % shapes.count]
            let transposeA = index % 2 == 1, transposeB = index % 4 >= 2
            let a = test.random(m, k, seed: UInt64(700 + index)), b = test.random(k, n, seed: UInt64(800 + index))
            let c = test.product(
                "packed", a, b, transposeA: transposeA, transposeB: transposeB, accumulate: false, initial: 9)
            let expected = test.naive(a, b)
            results[index] = zip(c.storage, expected.storage).map { abs($0 - $1) }.max() ?? 0
        }
        for (index, error) in errors.enumerated() { XCTAssertLessThan(error, 2e-3, "product \(index)") }
    }

    func testTransposeAndShapeErrors() throws {
        let a = random(13, 37, seed: 3)
        XCTAssertEqual(a.transposed.transposed, a)
        XCTAssertEqual(a.transposed[5, 2], a[2, 5])
        XCTAssertThrowsError(try a.matmul(a)) { XCTAssert("\($0)".contains("13×37 by 13×37")) }
        XCTAssertThrowsError(try Matrix(rows: 2, columns: 2, [1, 2, 3]))
        XCTAssertThrowsError(try Matrix([[1, 2], [3]] as [[Float]])) { XCTAssert("\($0)".contains("row 1")) }
    }
}
