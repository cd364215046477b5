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

    /// The packed, register-blocked product runs in optimized builds only; test it directly,
    /// across the cache blocks (k, n and m larger than one block) and every tile edge.
    func testPackedGemmMatchesTheDefinition() throws {
        var seed: UInt64 = 500
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (4, 24, 8), (6, 8, 3), (7, 25, 9), (13, 10, 33), (32, 64, 20),
                          (97, 30, 257), (5, 265, 40), (100, 270, 300), (40, 1, 30), (50, 3, 17), (64, 10, 40), (300, 5, 280)] {
            for accumulate in [false, true] {
                seed += 1
                let a = random(m, k, seed: seed), b = random(k, n, seed: seed + 7)
                var c = Matrix(rows: m, columns: n, repeating: accumulate ? 0.5 : 9)
                a.withUnsafePointer { ap in b.withUnsafePointer { bp in c.withUnsafeMutablePointer { cp in
                    Kernels.packedGemm(m: m, n: n, k: k, ap, lda: k, bp, ldb: n, cp, ldc: n, accumulate: accumulate)
                } } }
                let expected = naive(a, b)
                for i in 0..<(m * n) {
                    XCTAssertEqual(c.storage[i], expected.storage[i] + (accumulate ? 0.5 : 0), accuracy: 2e-3,
                                   "\(m)×\(k)·\(k)×\(n) accumulate \(accumulate) at \(i)")
                }
            }
        }
    }

    func testGemmAccumulates() {
        let a = random(7, 5, seed: 1), b = random(5, 19, seed: 2)
        var c = Matrix(rows: 7, columns: 19, repeating: 1)
        a.withUnsafePointer { ap in b.withUnsafePointer { bp in c.withUnsafeMutablePointer { cp in
            Kernels.gemm(m: 7, n: 19, k: 5, ap, lda: 5, bp, ldb: 19, cp, ldc: 19, accumulate: true)
        } } }
        let expected = naive(a, b)
        for i in 0..<(7 * 19) { XCTAssertEqual(c.storage[i], expected.storage[i] + 1, accuracy: 1e-4) }
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
