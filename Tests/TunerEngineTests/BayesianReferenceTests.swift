import Foundation
import TunerCore
@testable import TunerEngine
import XCTest

/// S30: the vectorized Gaussian process and the batched candidate search propose exactly what
/// the textbook loops proposed (the implementation before them, kept here as the reference),
/// bit for bit, so a study's proposals do not change with the speed-up.
final class BayesianReferenceTests: XCTestCase {
    func testProposalsEqualTheReferenceImplementations() throws {
        var rng = SplitMix64(seed: 11)
        for round in 0..<16 {
            let hp = HyperParameters()
            let dims = 1 + round % 4
            for i in 0..<dims { try hp.float("x\(i)", min: 0, max: 1) }
            if round % 3 == 0 { try hp.int("units", min: 1, max: 64) }
            if round % 4 == 1 { try hp.choice("activation", ["relu", "tanh", "sigmoid"]) }
            let space = hp.space
            var history = OracleHistory()
            let size = 8 + rng.nextInt(below: 45)
            let oracle = BayesianOptimizationOracle(candidates: 300 + rng.nextInt(below: 300))
            let reference = ReferenceBayesianOracle(oracle: oracle)
            for number in 0..<size {
                let seed = UInt64(round)
                let proposed = oracle.propose(trial: number, space: space, history: history, seed: seed)
                XCTAssertEqual(
                    proposed, reference.propose(trial: number, space: space, history: history, seed: seed),
                    "round \(round), trial \(number)")
                guard let values = proposed else { break }
                let x = space.unitPoint(values)
                // Some rounds fail in most of the space, so that the risky candidates count.
                let fails = x[0] > (round % 5 == 2 ? 0.25 : 0.7) || rng.nextInt(below: 10) == 0
                let score = x.reduce(0) { $0 + ($1 - 0.3) * ($1 - 0.3) } + 0.01 * rng.nextDouble()
                history.append(
                    OracleTrial(
                        number: number, values: values, status: fails ? .failed : .completed,
                        score: fails ? nil : score))
            }
        }
    }

    func testBatchedPredictionsEqualOneAtATime() throws {
        var rng = SplitMix64(seed: 3)
        let points = (0..<70).map { _ in (0..<5).map { _ in rng.nextDouble() } }
        let ys = points.map { $0.reduce(0, +) + rng.nextDouble() }
        let model = try XCTUnwrap(GaussianProcess(xs: points, ys: ys, alpha: 1e-4))
        let reference = try XCTUnwrap(ReferenceGaussianProcess(xs: points, ys: ys, alpha: 1e-4))
        XCTAssertEqual(model.lengthScale, reference.lengthScale)
        let candidates = (0..<29).map { _ in (0..<5).map { _ in rng.nextDouble() } }
        let batched = model.predict(candidates)
        for (index, candidate) in candidates.enumerated() {
            let expected = reference.predict(candidate)
            XCTAssertEqual(batched[index].mean, expected.mean)
            XCTAssertEqual(batched[index].sd, expected.sd)
        }
    }

    /// A factor extended in blocks of rows (AVX tiles) is the row-by-row factor, bit for bit:
    /// from the start, from a point inside a block, and where the matrix stops being positive
    /// definite (the same row is reported).
    func testBlockedFactorsEqualRowByRow() throws {
        try XCTSkipUnless(GaussianProcess.solvesInTiles, "this CPU has no AVX: factors are computed row by row only")
        var rng = SplitMix64(seed: 9)
        for (count, dims, start, length) in [(100, 3, 0, 0.4), (150, 6, 37, 0.12), (64, 1, 32, 2.0), (70, 2, 5, 0.05)] {
            let xs = (0..<count * dims).map { _ in rng.nextDouble() }
            // A negative diagonal term makes the last case's matrix indefinite inside its first block
            // (at row 6 with this seed: two of its points lie close together).
            let jitter = length == 0.05 ? -0.9 : 1e-4
            var prefixRows: [Double] = [], blocked: [Double] = [], rows: [Double] = []
            _ = GaussianProcess.extendFactor(
                &prefixRows, from: 0, xs, start, dims, length, jitter: jitter, inBlocks: false)
            blocked = prefixRows
            rows = prefixRows
            let blockedFailure = GaussianProcess.extendFactor(
                &blocked, from: start, xs, count, dims, length, jitter: jitter, inBlocks: true)
            let rowFailure = GaussianProcess.extendFactor(
                &rows, from: start, xs, count, dims, length, jitter: jitter, inBlocks: false)
            XCTAssertEqual(blockedFailure, rowFailure, "\(count) points from \(start)")
            XCTAssertEqual(rowFailure != nil, jitter < 0)
            let valid = (rowFailure ?? count) * ((rowFailure ?? count) + 1) / 2
            XCTAssertEqual(blocked.prefix(valid).map(\.bitPattern), rows.prefix(valid).map(\.bitPattern))
        }
    }

    /// The tiled solve (AVX) gives the lanes' bits, over panels, strips and tiles cut anywhere.
    func testTiledPredictionsEqualTheLanes() throws {
        try XCTSkipUnless(GaussianProcess.solvesInTiles, "this CPU has no AVX: predictions run in lanes only")
        var rng = SplitMix64(seed: 7)
        for (size, dims, count) in [(2, 1, 1), (7, 3, 9), (151, 6, 150), (64, 2, 64), (300, 4, 131), (40, 2, 333)] {
            let points = (0..<size).map { _ in (0..<dims).map { _ in rng.nextDouble() } }
            let ys = points.map { $0.reduce(0, +) + rng.nextDouble() }
            let model = try XCTUnwrap(GaussianProcess(xs: points, ys: ys, alpha: 1e-4))
            let candidates = (0..<count).map { _ in (0..<dims).map { _ in rng.nextDouble() } }
            let lanes = model.predictInLanes(candidates)
            // One part, and the panels split among three threads.
            for tiled in [model.predictInPanels(candidates, parts: 1), model.predictInPanels(candidates, parts: 3)] {
                XCTAssertEqual(tiled.count, count)
                for (index, (tiled, lanes)) in zip(tiled, lanes).enumerated() {
                    XCTAssertEqual(tiled.mean.bitPattern, lanes.mean.bitPattern, "\(size) points, \(index)")
                    XCTAssertEqual(tiled.sd.bitPattern, lanes.sd.bitPattern, "\(size) points, \(index)")
                }
            }
        }
    }
}

/// The Bayesian oracle's proposal as it was computed before it was vectorized.
struct ReferenceBayesianOracle {
    let oracle: BayesianOptimizationOracle
    var numInitialPoints: Int? { oracle.numInitialPoints }
    var alpha: Double { oracle.alpha }
    var beta: Double { oracle.beta }
    var candidates: Int { oracle.candidates }

    func propose(trial: Int, space: SearchSpace, history: OracleHistory, seed: UInt64) -> [String:
        HyperParameterValue]?
    {
        let random = RandomSearchOracle(maxCollisions: 50)
        let initial = numInitialPoints ?? max(2, 3 * space.definitions.count)
        // The regression models the loss of completed trials only; where trials fail is the
        // classifier's to learn (a failed trial entered at a pessimistic value would pull the
        // model up beside the failing region, often where the best models lie).
        let ended = history.trials.filter { $0.status == .completed || $0.status == .failed }
        let scores = ended.compactMap(history.loss)
        guard ended.count >= initial, scores.count >= 2 else {
            return oracle.initialPoint(trial: trial, space: space, history: history, ended: ended, seed: seed)
        }
        let worst = scores.max()!, best = scores.min()!
        let spread = max(worst - best, 1e-12)
        var xs: [[Double]] = [], ys: [Double] = []
        for trial in ended {
            guard let loss = history.loss(trial) else { continue }
            xs.append(space.unitPoint(trial.values))
            ys.append(loss)
        }
        guard let model = ReferenceGaussianProcess(xs: xs, ys: ys, alpha: alpha) else {
            return random.propose(trial: trial, space: space, history: history, seed: seed)
        }
        // Where trials failed: candidates pay in proportion to their probability of failing.
        let classifier = FailureClassifier(trials: ended, space: space, lengthScale: model.lengthScale)
        var rng = SplitMix64(seed: SplitMix64.mix(seed, UInt64(trial) &+ 0xB0))
        // A candidate more likely to fail than not is kept only as a last resort.
        var bestCandidate: (score: Double, values: [String: HyperParameterValue])?
        var riskyCandidate: (score: Double, values: [String: HyperParameterValue])?
        func consider(_ values: [String: HyperParameterValue]) {
            guard !history.tried.contains(values) else { return }
            let x = space.unitPoint(values)
            let (mean, sd) = model.predict(x)
            let failure = classifier.probability(x)
            let lower = mean - beta * sd + failure * spread * 2  // losses: smaller is better
            if failure > 0.5 {
                if riskyCandidate.map({ lower < $0.score }) ?? true { riskyCandidate = (lower, values) }
            } else if bestCandidate.map({ lower < $0.score }) ?? true {
                bestCandidate = (lower, values)
            }
        }
        for _ in 0..<candidates { consider(space.sample(using: &rng)) }
        // Local refinement around the best candidate: resample one hyperparameter at a time.
        if let start = bestCandidate?.values {
            for _ in 0..<200 {
                var values = bestCandidate?.values ?? start
                let definition = space.definitions[rng.nextInt(below: space.definitions.count)]
                guard definition.isActive(in: values) else { continue }
                values[definition.name] = definition.sample(using: &rng)
                consider(space.resolve(values))
            }
        }
        return bestCandidate?.values ?? riskyCandidate?.values
            ?? random.propose(trial: trial, space: space, history: history, seed: seed)
    }

}

/// The Gaussian process as it was computed before it was vectorized.
struct ReferenceGaussianProcess {
    let xs: [[Double]]
    let weights: [Double]
    let cholesky: [[Double]]
    let lengthScale: Double
    let mean: Double, scale: Double

    init?(xs: [[Double]], ys: [Double], alpha: Double) {
        guard xs.count == ys.count, xs.count >= 2 else { return nil }
        let mean = ys.reduce(0, +) / Double(ys.count)
        let variance = ys.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(ys.count)
        let scale = variance > 0 ? variance.squareRoot() : 1
        let normalized = ys.map { ($0 - mean) / scale }
        var best: (likelihood: Double, length: Double, chol: [[Double]], weights: [Double])?
        for length in [0.05, 0.08, 0.12, 0.18, 0.27, 0.4, 0.6, 0.9, 1.35, 2.0, 3.0] {
            var k = Self.kernelMatrix(xs, length)
            for i in 0..<k.count { k[i][i] += alpha + 1e-8 }
            guard let l = Self.choleskyDecomposition(k) else { continue }
            let w = Self.solve(l, normalized)
            var likelihood = -0.5 * zip(normalized, w).reduce(0) { $0 + $1.0 * $1.1 }
            for i in 0..<l.count { likelihood -= Foundation.log(l[i][i]) }
            if best.map({ likelihood > $0.likelihood }) ?? true { best = (likelihood, length, l, w) }
        }
        guard let best else { return nil }
        self.xs = xs
        self.weights = best.weights
        self.cholesky = best.chol
        self.lengthScale = best.length
        self.mean = mean
        self.scale = scale
    }

    static func matern52(_ a: [Double], _ b: [Double], _ length: Double) -> Double {
        var d2 = 0.0
        for i in 0..<a.count { d2 += (a[i] - b[i]) * (a[i] - b[i]) }
        let r = d2.squareRoot() / length
        let s = 5.0.squareRoot() * r
        return (1 + s + 5.0 / 3.0 * r * r) * Foundation.exp(-s)
    }

    static func kernelMatrix(_ xs: [[Double]], _ length: Double) -> [[Double]] {
        xs.map { a in xs.map { b in matern52(a, b, length) } }
    }

    static func choleskyDecomposition(_ a: [[Double]]) -> [[Double]]? {
        let n = a.count
        var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0...i {
                var sum = a[i][j]
                for k in 0..<j { sum -= l[i][k] * l[j][k] }
                if i == j {
                    guard sum > 0 else { return nil }
                    l[i][i] = sum.squareRoot()
                } else {
                    l[i][j] = sum / l[j][j]
                }
            }
        }
        return l
    }

    /// Solves (L Lᵀ) x = b.
    static func solve(_ l: [[Double]], _ b: [Double]) -> [Double] {
        let n = b.count
        var y = b
        for i in 0..<n {
            for k in 0..<i { y[i] -= l[i][k] * y[k] }
            y[i] /= l[i][i]
        }
        var x = y
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { x[i] -= l[k][i] * x[k] }
            x[i] /= l[i][i]
        }
        return x
    }

    /// The posterior mean and standard deviation at a point, in the targets' units.
    func predict(_ x: [Double]) -> (mean: Double, sd: Double) {
        let k = xs.map { Self.matern52($0, x, lengthScale) }
        let mu = zip(k, weights).reduce(0) { $0 + $1.0 * $1.1 }
        // v = L⁻¹ k; variance = k(x, x) − vᵀv.
        var v = k
        for i in 0..<v.count {
            for j in 0..<i { v[i] -= cholesky[i][j] * v[j] }
            v[i] /= cholesky[i][i]
        }
        let variance = max(1e-12, 1 - v.reduce(0) { $0 + $1 * $1 })
        return (mean + scale * mu, scale * variance.squareRoot())
    }
}
