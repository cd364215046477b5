import CTunerKernels
import Foundation
import Synchronization
import TunerCore

/// KerasTuner's BayesianOptimization, failure-aware: a Gaussian process (Matérn 5/2, its length
/// scale tuned by marginal likelihood) over the hyperparameters encoded in [0, 1] (log scales
/// respected), and the upper-confidence-bound acquisition with KerasTuner's defaults.
///
/// Unlike KerasTuner's, it learns from failures: the process models the loss of completed
/// trials, and each candidate pays a penalty in proportion to its probability of failing
/// (``FailureClassifier``: per-hyperparameter densities of failed and completed trials, and the
/// share of failures around it); a candidate more likely to fail than not is taken only as a
/// last resort. The search, initial points included, steers away from regions that fail
/// without shunning their edge, and it never proposes a configuration already tried, failed
/// ones included.
/// Every proposal is a pure function of the seed, the trial number and the history (S30).
///
/// ```swift
/// let oracle = BayesianOptimizationOracle(numInitialPoints: 5)
/// ```
public struct BayesianOptimizationOracle: Oracle {
    /// `BayesianOptimization`.
    public let kind: TunerKind = .bayesianOptimization
    /// 10, as KerasTuner.
    public let defaultMaxTrials: Int? = 10
    /// Random trials before the model is used; `nil`: 3 × the number of hyperparameters (KerasTuner).
    public var numInitialPoints: Int?
    /// The noise added to the kernel's diagonal (KerasTuner: 1e-4).
    public var alpha: Double
    /// The exploration weight of the upper confidence bound (KerasTuner: 2.6).
    public var beta: Double
    /// Random candidates the acquisition is evaluated on, before local refinement.
    public var candidates: Int
    /// The kernel factors of the last fit, extended by the next one (shared by copies).
    let factors = FactorCache()

    /// Makes the oracle with KerasTuner's defaults.
    public init(numInitialPoints: Int? = nil, alpha: Double = 1e-4, beta: Double = 2.6, candidates: Int = 2000) {
        self.numInitialPoints = numInitialPoints
        self.alpha = alpha
        self.beta = beta
        self.candidates = candidates
    }

    /// Random configurations for the first trials, then the untried configuration with the
    /// lowest upper-confidence bound of the loss.
    public func propose(trial: Int, space: SearchSpace, history: OracleHistory, seed: UInt64) -> [String:
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
            return initialPoint(trial: trial, space: space, history: history, ended: ended, seed: seed)
        }
        let worst = scores.max()!, best = scores.min()!
        let spread = max(worst - best, 1e-12)
        var xs: [[Double]] = [], ys: [Double] = []
        for trial in ended {
            guard let loss = history.loss(trial) else { continue }
            xs.append(space.unitPoint(trial.values))
            ys.append(loss)
        }
        guard let model = GaussianProcess(xs: xs, ys: ys, alpha: alpha, cache: factors) else {
            return random.propose(trial: trial, space: space, history: history, seed: seed)
        }
        // Where trials failed: candidates pay in proportion to their probability of failing.
        let classifier = FailureClassifier(trials: ended, space: space, lengthScale: model.lengthScale)
        var rng = SplitMix64(seed: SplitMix64.mix(seed, UInt64(trial) &+ 0xB0))
        // A candidate more likely to fail than not is kept only as a last resort.
        var bestCandidate: (score: Double, values: [String: HyperParameterValue])?
        var riskyCandidate: (score: Double, values: [String: HyperParameterValue])?
        /// Weighs candidates in order, their predictions made together. With `untilBest`, stops
        /// at the first that becomes the best and returns its index.
        func consider(_ batch: [[String: HyperParameterValue]?], untilBest: Bool) -> Int? {
            let fresh = batch.indices.filter { batch[$0].map { !history.tried.contains($0) } ?? false }
            let points = fresh.map { space.unitPoint(batch[$0] ?? [:]) }
            let predictions = model.predict(points)
            for (position, index) in fresh.enumerated() {
                guard let values = batch[index] else { continue }
                let (mean, sd) = predictions[position]
                // The penalty only adds: a candidate no better than the best without any penalty
                // cannot become the best, whatever its risk (in floating point too: rounding is
                // monotone). Skipping it may leave a different risky candidate than a pass over
                // every candidate would, but the risky candidate is chosen only when there is no
                // best, and without a best nothing is skipped.
                let unpenalized = mean - beta * sd
                if let best = bestCandidate?.score, unpenalized >= best { continue }
                let failure = classifier.probability(points[position])
                let lower = unpenalized + failure * spread * 2  // losses: smaller is better
                if failure > 0.5 {
                    if riskyCandidate.map({ lower < $0.score }) ?? true { riskyCandidate = (lower, values) }
                } else if bestCandidate.map({ lower < $0.score }) ?? true {
                    bestCandidate = (lower, values)
                    if untilBest { return index }
                }
            }
            return nil
        }
        /// Weighs a first batch as ``consider`` would, but in the order of the candidates'
        /// unpenalized bounds, so that the failure model is asked about the few that can still
        /// win: the best is the least (bound with penalty, place in the batch), which is the first
        /// of the least that the in-order pass keeps. Where a value is not a number, in order.
        func considerBestFirst(_ batch: [[String: HyperParameterValue]]) {
            let fresh = batch.indices.filter { !history.tried.contains(batch[$0]) }
            let points = fresh.map { space.unitPoint(batch[$0]) }
            let predictions = model.predict(points)
            let bounds = predictions.map { $0.mean - beta * $0.sd }
            var best: (score: Double, position: Int)?, risky: (score: Double, position: Int)?
            var sortable = !bounds.contains { $0.isNaN }
            if sortable {
                for position in bounds.indices.sorted(by: { (bounds[$0], $0) < (bounds[$1], $1) }) {
                    if let best, bounds[position] > best.score { break }
                    let failure = classifier.probability(points[position])
                    let lower = bounds[position] + failure * spread * 2
                    guard !lower.isNaN else {
                        sortable = false
                        break
                    }
                    let entry = (score: lower, position: position)
                    if failure > 0.5 {
                        if risky.map({ entry < $0 }) ?? true { risky = entry }
                    } else if best.map({ entry < $0 }) ?? true {
                        best = entry
                    }
                }
            }
            guard sortable else {
                _ = consider(batch, untilBest: false)
                return
            }
            bestCandidate = best.map { ($0.score, batch[fresh[$0.position]]) }
            riskyCandidate = risky.map { ($0.score, batch[fresh[$0.position]]) }
        }
        considerBestFirst((0..<candidates).map { _ in space.sample(using: &rng) })
        // Local refinement around the best candidate: resample one hyperparameter at a time.
        // Steps are drawn ahead from the best so far and weighed together; when one becomes
        // the best, the steps after it are drawn again from it (and from the generator as it
        // was after that step), as one step at a time would.
        if let start = bestCandidate?.values {
            var step = 0
            while step < 200 {
                let base = bestCandidate?.values ?? start
                var ahead = rng
                var batch: [[String: HyperParameterValue]?] = []
                var states: [SplitMix64] = []
                while step + batch.count < 200, batch.count < GaussianProcess.lanes {
                    var values = base
                    let definition = space.definitions[ahead.nextInt(below: space.definitions.count)]
                    if definition.isActive(in: values) {
                        values[definition.name] = definition.sample(using: &ahead)
                        batch.append(space.resolve(values))
                    } else {
                        batch.append(nil)
                    }
                    states.append(ahead)
                }
                let taken = consider(batch, untilBest: true).map { $0 + 1 } ?? batch.count
                rng = states[taken - 1]
                step += taken
            }
        }
        return bestCandidate?.values ?? riskyCandidate?.values
            ?? random.propose(trial: trial, space: space, history: history, seed: seed)
    }

    /// A random initial point; once a trial has failed, a draw the failure classifier deems
    /// unlikely to fail (``FailureClassifier/safestDraw(from:using:draws:untried:threshold:isTried:)``),
    /// so that even the initial exploration stays out of a region seen failing.
    func initialPoint(
        trial: Int, space: SearchSpace, history: OracleHistory, ended: [OracleTrial],
        seed: UInt64
    ) -> [String: HyperParameterValue]? {
        let random = RandomSearchOracle(maxCollisions: 50)
        let classifier = FailureClassifier(trials: ended, space: space)
        guard !classifier.failed.isEmpty else {
            return random.propose(trial: trial, space: space, history: history, seed: seed)
        }
        var rng = SplitMix64(seed: SplitMix64.mix(seed, UInt64(trial) &+ 0x1A))
        return classifier.safestDraw(from: space, using: &rng, draws: 64, untried: 64, isTried: history.tried.contains)
            ?? random.propose(trial: trial, space: space, history: history, seed: seed)
    }
}

/// A Gaussian process regressor with a Matérn 5/2 kernel on normalized targets, its length
/// scale chosen among a fixed grid by log marginal likelihood (deterministic).
///
/// Matrices are flat, row by row; every sum runs in the same order as the textbook loops, so
/// a prediction is the same number whichever way it is computed: one point at a time,
/// ``lanes`` points together (one vector lane each), or in panels of register tiles on several
/// cores; and a factor is the same whether its rows are computed one by one or in blocks.
struct GaussianProcess {
    /// The points predicted together in vector lanes.
    static let lanes = 8
    typealias Lanes = SIMD8<Double>

    /// The number of points and of dimensions.
    let count: Int, dimensions: Int
    /// The points, row by row.
    let xs: [Double]
    let weights: [Double]
    /// The Cholesky factor of the kernel matrix: its lower triangle, packed row by row (row `i`
    /// starts at `i(i+1)/2`), so that a factor grows by rows without moving the earlier ones.
    let cholesky: [Double]
    let lengthScale: Double
    let mean: Double, scale: Double

    /// The grid of length scales.
    static let lengthScales = [0.05, 0.08, 0.12, 0.18, 0.27, 0.4, 0.6, 0.9, 1.35, 2.0, 3.0]

    /// Fits the process; with a `cache`, the rows of each length scale's factor that an earlier
    /// fit computed for the same first points are reused, the same numbers as computed anew.
    init?(xs points: [[Double]], ys: [Double], alpha: Double, cache: FactorCache? = nil) {
        guard points.count == ys.count, points.count >= 2 else { return nil }
        let n = points.count, d = points[0].count
        guard points.allSatisfy({ $0.count == d }) else { return nil }
        let flat = points.flatMap { $0 }
        let mean = ys.reduce(0, +) / Double(ys.count)
        let variance = ys.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(ys.count)
        let scale = variance > 0 ? variance.squareRoot() : 1
        let normalized = ys.map { ($0 - mean) / scale }
        let jitter = alpha + 1e-8
        let factors = cache?.factors(of: flat, dimensions: d, jitter: jitter) ?? Self.factors(flat, n, d, jitter)
        var best: (likelihood: Double, length: Double, chol: [Double], weights: [Double])?
        let solved = Self.solve(factors.compactMap { $0 }, n, normalized)
        for ((length, factor), w) in zip(zip(Self.lengthScales, factors).filter { $0.1 != nil }, solved) {
            guard let l = factor else { continue }
            var likelihood = -0.5 * zip(normalized, w).reduce(0) { $0 + $1.0 * $1.1 }
            for i in 0..<n { likelihood -= Foundation.log(l[i * (i + 1) / 2 + i]) }
            if best.map({ likelihood > $0.likelihood }) ?? true { best = (likelihood, length, l, w) }
        }
        guard let best else { return nil }
        self.count = n
        self.dimensions = d
        self.xs = flat
        self.weights = best.weights
        self.cholesky = best.chol
        self.lengthScale = best.length
        self.mean = mean
        self.scale = scale
    }

    /// The kernel of two points at squared distance `d2`.
    @inline(__always)
    static func matern52(distanceSquared d2: Double, _ length: Double) -> Double {
        let r = d2.squareRoot() / length
        let s = 5.0.squareRoot() * r
        return (1 + s + 5.0 / 3.0 * r * r) * Foundation.exp(-s)
    }

    static func matern52(_ a: [Double], _ b: [Double], _ length: Double) -> Double {
        var d2 = 0.0
        for i in 0..<a.count { d2 += (a[i] - b[i]) * (a[i] - b[i]) }
        return matern52(distanceSquared: d2, length)
    }

    /// The kernel of point `i` of `xs` (rows of `d`) and the point at `b`.
    @inline(__always)
    static func matern52(
        _ xs: UnsafeBufferPointer<Double>, _ i: Int, _ b: UnsafePointer<Double>, _ d: Int, _ length: Double
    ) -> Double {
        var d2 = 0.0
        let a = xs.baseAddress! + i * d
        for k in 0..<d { d2 += (a[k] - b[k]) * (a[k] - b[k]) }
        return matern52(distanceSquared: d2, length)
    }

    /// Every length scale's factor of the kernel matrix of `xs`, computed anew.
    static func factors(_ xs: [Double], _ n: Int, _ d: Int, _ jitter: Double) -> [[Double]?] {
        let work = SharedBuffer(buffer: UnsafeMutableBufferPointer<[Double]?>.allocate(capacity: lengthScales.count))
        work.buffer.initialize(repeating: nil)
        defer { work.buffer.deinitialize().deallocate() }
        ParallelWork.forEach(lengthScales.count) { index in
            var l: [Double] = []
            let failedAt = extendFactor(&l, from: 0, xs, n, d, lengthScales[index], jitter: jitter)
            work.buffer[index] = failedAt == nil ? l : nil
        }
        return Array(work.buffer)
    }

    /// Extends `l`, the packed Cholesky factor of the kernel matrix of the first `start` points
    /// of `xs` with `jitter` on its diagonal, to all `n` of them. Returns `nil`, or the row where
    /// the matrix turned out not positive definite (the rows before it are kept). Where the CPU
    /// runs the tiles (``solvesInTiles``), whole blocks of ``factorBlock`` rows are computed
    /// together (``extendFactorBlock(_:_:first:_:_:jitter:)``); other rows one at a time, their
    /// entries four at a time (four independent sums). Each sum runs in order either way.
    static func extendFactor(
        _ l: inout [Double], from start: Int, _ xs: [Double], _ n: Int, _ d: Int, _ length: Double, jitter: Double,
        inBlocks: Bool = solvesInTiles
    ) -> Int? {
        l.removeSubrange(min(l.count, start * (start + 1) / 2)...)
        l.append(contentsOf: repeatElement(0, count: n * (n + 1) / 2 - l.count))
        return xs.withUnsafeBufferPointer { x in
            l.withUnsafeMutableBufferPointer { lb -> Int? in
                let l = lb.baseAddress!
                var blocked = start
                if inBlocks {
                    while blocked + factorBlock <= n {
                        let failed = extendFactorBlock(l, x.baseAddress!, first: blocked, d, length, jitter: jitter)
                        if let failed { return failed }
                        blocked += factorBlock
                    }
                }
                var a = [Double](repeating: 0, count: n)
                for i in blocked..<n {
                    let row = l + i * (i + 1) / 2
                    let xi = x.baseAddress! + i * d
                    for j in 0...i { a[j] = matern52(x, j, xi, d, length) }
                    a[i] += jitter
                    var j = 0
                    while j <= i {
                        let width = min(4, i - j + 1)
                        // The part of each sum over the columns before j: independent chains.
                        var s = SIMD4<Double>(
                            a[j], width > 1 ? a[j + 1] : 0, width > 2 ? a[j + 2] : 0, width > 3 ? a[j + 3] : 0)
                        func rowStart(_ r: Int) -> UnsafeMutablePointer<Double> { l + r * (r + 1) / 2 }
                        let r0 = rowStart(j), r1 = rowStart(min(j + 1, i)), r2 = rowStart(min(j + 2, i))
                        let r3 = rowStart(min(j + 3, i))
                        for k in 0..<j {
                            let lik = row[k]
                            s -= SIMD4(lik, lik, lik, lik) * SIMD4(r0[k], r1[k], r2[k], r3[k])
                        }
                        // The rest in order, each entry finished before the next uses it.
                        for t in 0..<width {
                            let column = j + t
                            guard finishEntry(row, i, column, rowStart(column), from: j, sum: s[t]) else { return i }
                        }
                        j += width
                    }
                }
                return nil
            }
        }
    }

    /// The rows a blocked extension computes together.
    static let factorBlock = 32

    /// Rows `first ..< first + factorBlock` of the packed factor at `l`, every row before them
    /// finished: their entries left of the block are a triangular solve with the block's kernel
    /// columns as right-hand sides (`swifttuner_lower_solve`); the block's own triangle starts from
    /// its kernel values less the Gram products of those entries (`swifttuner_gram_update`), then
    /// finishes entry by entry. Every entry is the sum the row-by-row loop computes, in its order.
    /// Returns the row where the matrix is not positive definite, or `nil`.
    static func extendFactorBlock(
        _ l: UnsafeMutablePointer<Double>, _ x: UnsafePointer<Double>, first: Int, _ d: Int, _ length: Double,
        jitter: Double
    ) -> Int? {
        let width = factorBlock
        var pointsT = [Double](repeating: 0, count: width * d)
        for column in 0..<width {
            for k in 0..<d { pointsT[k * width + column] = x[(first + column) * d + k] }
        }
        // Left of the block: row j of `left` holds column j of the block's rows.
        var left = [Double](repeating: 0, count: max(1, first * width))
        if first > 0 {
            swifttuner_matern52_panel(first, d, x, pointsT, width, length, nil, &left, nil)
            swifttuner_lower_solve(first, l, &left, width, width)
            for column in 0..<width {
                let row = l + (first + column) * (first + column + 1) / 2
                for j in 0..<first { row[j] = left[j * width + column] }
            }
        }
        // The block's triangle: row c, column e (e ≤ c) of `gram`.
        var gram = [Double](repeating: 0, count: width * width)
        let points = UnsafeBufferPointer(start: x, count: (first + width) * d)
        for c in 0..<width {
            let xi = x + (first + c) * d
            for e in 0...c { gram[c * width + e] = matern52(points, first + e, xi, d, length) }
            gram[c * width + c] += jitter
        }
        if first > 0 { swifttuner_gram_update(first, left, width, &gram) }
        for c in 0..<width {
            let i = first + c
            for e in 0...c {
                let j = first + e
                let finished = finishEntry(
                    l + i * (i + 1) / 2, i, j, l + j * (j + 1) / 2, from: first, sum: gram[c * width + e])
                guard finished else { return i }
            }
        }
        return nil
    }

    /// Finishes entry (i, j) of a factor: `sum`, the entry's kernel value less its products over
    /// the columns before `from`, less those from `from` to j in order, then divided by row j's
    /// diagonal, or its root on the diagonal. Returns false where the diagonal is not positive.
    @inline(__always)
    static func finishEntry(
        _ row: UnsafeMutablePointer<Double>, _ i: Int, _ j: Int, _ other: UnsafeMutablePointer<Double>, from: Int,
        sum: Double
    ) -> Bool {
        var sum = sum
        for k in from..<j { sum -= row[k] * other[k] }
        if j == i {
            guard sum > 0 else { return false }
            row[i] = sum.squareRoot()
        } else {
            row[j] = sum / other[j]
        }
        return true
    }

    /// Solves (L Lᵀ) x = b for each factor L: four factors at a time, their sums interleaved (four
    /// independent chains), each sum still in the textbook loop's order.
    static func solve(_ factors: [[Double]], _ n: Int, _ b: [Double]) -> [[Double]] {
        let solutions = SharedBuffer(buffer: UnsafeMutableBufferPointer<[Double]>.allocate(capacity: factors.count))
        solutions.buffer.initialize(repeating: [])
        defer { solutions.buffer.deinitialize().deallocate() }
        ParallelWork.forEach((factors.count + 3) / 4) { groupIndex in
            let group = groupIndex * 4
            // A group of fewer than four repeats its last factor; the repeats' results are dropped.
            let members = (0..<4).map { min(group + $0, factors.count - 1) }
            // The four solutions side by side, each starting as b.
            var x = Array([b, b, b, b].joined())
            withFactors(members.map { factors[$0] }) { l in
                x.withUnsafeMutableBufferPointer { x in solveFour(l, (0..<4).map { x.baseAddress! + $0 * n }, n) }
            }
            for (slot, member) in members.enumerated() where member == group + slot {
                solutions.buffer[member] = Array(x[slot * n..<(slot + 1) * n])
            }
        }
        return Array(solutions.buffer)
    }

    /// Calls `body` with the base addresses of four factors.
    private static func withFactors<R>(_ factors: [[Double]], _ body: ([UnsafePointer<Double>]) -> R) -> R {
        factors[0].withUnsafeBufferPointer { l0 in
            factors[1].withUnsafeBufferPointer { l1 in
                factors[2].withUnsafeBufferPointer { l2 in
                    factors[3].withUnsafeBufferPointer { l3 in
                        body([l0.baseAddress!, l1.baseAddress!, l2.baseAddress!, l3.baseAddress!])
                    }
                }
            }
        }
    }

    /// Forward then backward substitution of four systems in place.
    @inline(__always)
    private static func solveFour(_ l: [UnsafePointer<Double>], _ x: [UnsafeMutablePointer<Double>], _ n: Int) {
        let (l0, l1, l2, l3) = (l[0], l[1], l[2], l[3])
        let (x0, x1, x2, x3) = (x[0], x[1], x[2], x[3])
        for i in 0..<n {
            let row = i * (i + 1) / 2
            var (a0, a1, a2, a3) = (x0[i], x1[i], x2[i], x3[i])
            for k in 0..<i {
                a0 -= l0[row + k] * x0[k]
                a1 -= l1[row + k] * x1[k]
                a2 -= l2[row + k] * x2[k]
                a3 -= l3[row + k] * x3[k]
            }
            x0[i] = a0 / l0[row + i]
            x1[i] = a1 / l1[row + i]
            x2[i] = a2 / l2[row + i]
            x3[i] = a3 / l3[row + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var (a0, a1, a2, a3) = (x0[i], x1[i], x2[i], x3[i])
            for k in (i + 1)..<n {
                let entry = k * (k + 1) / 2 + i
                a0 -= l0[entry] * x0[k]
                a1 -= l1[entry] * x1[k]
                a2 -= l2[entry] * x2[k]
                a3 -= l3[entry] * x3[k]
            }
            let diagonal = i * (i + 1) / 2 + i
            x0[i] = a0 / l0[diagonal]
            x1[i] = a1 / l1[diagonal]
            x2[i] = a2 / l2[diagonal]
            x3[i] = a3 / l3[diagonal]
        }
    }

    /// Whether predictions solve in register tiles of many points (``predictInPanels(_:)``): on
    /// x86-64 CPUs with AVX, unless `SWIFTTUNER_KERNELS` is `portable` (read once, for
    /// comparisons). Either way the results are the same bits.
    static let solvesInTiles: Bool = {
        if let choice = getenv("SWIFTTUNER_KERNELS"), String(cString: choice) == "portable" { return false }
        return swifttuner_cpu_has_avx()
    }()

    /// The posterior means and standard deviations at many points.
    func predict(_ points: [[Double]]) -> [(mean: Double, sd: Double)] {
        Self.solvesInTiles ? predictInPanels(points) : predictInLanes(points)
    }

    /// The points predicted in one panel by ``predictInPanels(_:)``: 64 of them, whose solved
    /// kernel columns (1,000 points: 512 KB) stay in the core's second-level cache.
    static let panel = 64

    /// The predictions ``panel`` points at a time: each point's kernel column and mean in order,
    /// then the triangular solve of the whole panel by `swifttuner_lower_solve`, which reuses
    /// each row of the factor for 8 points and each solved entry for 6 rows. Panels are
    /// independent: a large prediction runs them on every core (``ParallelWork``).
    ///
    /// - Parameter parts: how many parts the panels are split into; by default one per core for a
    ///   large prediction, else one.
    func predictInPanels(_ points: [[Double]], parts: Int? = nil) -> [(mean: Double, sd: Double)] {
        guard !points.isEmpty else { return [] }
        let panels = (points.count + Self.panel - 1) / Self.panel
        // Below about a million kernel entries, waking threads costs more than it saves.
        let parts = min(parts ?? (count * points.count >= 1 << 20 ? ParallelWork.width : 1), panels)
        return [(mean: Double, sd: Double)](unsafeUninitializedCapacity: points.count) { buffer, initialized in
            let out = SharedBuffer(buffer: buffer)
            ParallelWork.forEach(parts) { part in
                predict(points, panels: panels * part / parts..<panels * (part + 1) / parts, into: out.buffer)
            }
            initialized = points.count
        }
    }

    /// Predicts the points of `panels` (panel p: points from p · ``panel``) into their places in `out`.
    private func predict(
        _ points: [[Double]], panels: Range<Int>, into out: UnsafeMutableBufferPointer<(mean: Double, sd: Double)>
    ) {
        let n = count, d = dimensions
        var v = [Double](repeating: 0, count: n * Self.panel)
        var panelPoints = [Double](repeating: 0, count: Self.panel * d)
        var mu = [Double](repeating: 0, count: Self.panel)
        var squares = [Double](repeating: 0, count: Self.panel)
        xs.withUnsafeBufferPointer { x in
            for start in panels.map({ $0 * Self.panel }) {
                let chunk = min(Self.panel, points.count - start)
                // Whole strips of 8: points past the end repeat the last one; their results are dropped.
                let width = (chunk + 7) / 8 * 8
                for column in 0..<width {
                    let point = points[start + min(column, chunk - 1)]
                    for k in 0..<d { panelPoints[k * width + column] = point[k] }
                    mu[column] = 0
                    squares[column] = 0
                }
                v.withUnsafeMutableBufferPointer { v in
                    swifttuner_matern52_panel(
                        n, d, x.baseAddress!, panelPoints, width, lengthScale, weights, v.baseAddress!, &mu)
                    cholesky.withUnsafeBufferPointer { l in
                        swifttuner_lower_solve(n, l.baseAddress!, v.baseAddress!, width, width)
                    }
                    for i in 0..<n {
                        let row = v.baseAddress! + i * width
                        for column in 0..<width { squares[column] += row[column] * row[column] }
                    }
                }
                for column in 0..<chunk {
                    let variance = max(1e-12, 1 - squares[column])
                    out[start + column] = (mean + scale * mu[column], scale * variance.squareRoot())
                }
            }
        }
    }

    /// The predictions ``lanes`` at a time, one vector lane each: where the CPU has no AVX.
    func predictInLanes(_ points: [[Double]]) -> [(mean: Double, sd: Double)] {
        guard !points.isEmpty else { return [] }
        let n = count, d = dimensions
        var result: [(mean: Double, sd: Double)] = []
        result.reserveCapacity(points.count)
        var v = [Lanes](repeating: Lanes(), count: n)
        var lanePoints = [Double](repeating: 0, count: Self.lanes * d)
        xs.withUnsafeBufferPointer { x in
            cholesky.withUnsafeBufferPointer { lb in
                let l = lb.baseAddress!
                for start in stride(from: 0, to: points.count, by: Self.lanes) {
                    let chunk = min(Self.lanes, points.count - start)
                    // Lanes past the end repeat the last point; their results are dropped.
                    for lane in 0..<Self.lanes {
                        let point = points[start + min(lane, chunk - 1)]
                        for k in 0..<d { lanePoints[lane * d + k] = point[k] }
                    }
                    // k: the kernel against every point; μ = Σ k·w; v = L⁻¹ k; σ² = 1 − vᵀv.
                    var mu = Lanes()
                    lanePoints.withUnsafeBufferPointer { p in
                        for i in 0..<n {
                            var k = Lanes()
                            for lane in 0..<Self.lanes {
                                k[lane] = Self.matern52(x, i, p.baseAddress! + lane * d, d, lengthScale)
                            }
                            v[i] = k
                            mu += k * Lanes(repeating: weights[i])
                        }
                    }
                    v.withUnsafeMutableBufferPointer { vb in
                        let v = vb.baseAddress!
                        for i in 0..<n {
                            var acc = v[i]
                            let row = l + i * (i + 1) / 2
                            for j in 0..<i { acc -= Lanes(repeating: row[j]) * v[j] }
                            v[i] = acc / Lanes(repeating: row[i])
                        }
                    }
                    var squares = Lanes()
                    for i in 0..<n { squares += v[i] * v[i] }
                    for lane in 0..<chunk {
                        let variance = max(1e-12, 1 - squares[lane])
                        result.append((mean + scale * mu[lane], scale * variance.squareRoot()))
                    }
                }
            }
        }
        return result
    }
}

/// The packed kernel factors of a Bayesian oracle's last fit, one per length scale, for the
/// points they were computed from: the next fit, which has the same first points and a few
/// more, computes only the new rows. Studies past ``maxPoints`` are fitted without it (the
/// factors would take too much memory).
final class FactorCache: Sendable {
    /// The most points whose factors are kept: 11 factors of 1,500 points take about 100 MB.
    static let maxPoints = 1500

    private struct State {
        var points: [Double] = []
        var dimensions = 0
        var jitter = 0.0
        /// Per length scale: the factor's rows, or the row where the matrix stopped being
        /// positive definite.
        var factors: [(rows: [Double], failedAt: Int?)] = []
    }

    private let state = Mutex(State())

    /// Every length scale's factor for `points` (rows of `dimensions`), `nil` where the matrix
    /// is not positive definite.
    func factors(of points: [Double], dimensions d: Int, jitter: Double) -> [[Double]?] {
        let n = points.count / max(d, 1)
        guard n <= Self.maxPoints else {
            state.withLock { $0 = State() }
            return GaussianProcess.factors(points, n, d, jitter)
        }
        return state.withLock { state in
            // The first points both fits share, exactly.
            var shared = 0
            if state.dimensions == d, state.jitter == jitter {
                let known = state.points.count / max(d, 1)
                while shared < min(known, n),
                    (0..<d).allSatisfy({ state.points[shared * d + $0] == points[shared * d + $0] })
                {
                    shared += 1
                }
            }
            if state.factors.count != GaussianProcess.lengthScales.count || shared == 0 {
                state.factors = GaussianProcess.lengthScales.map { _ in ([], nil) }
                shared = 0
            }
            // Each length scale's factor, extended on a core of its own; each is moved out of the
            // state first, so that its rows grow in place rather than as a copy.
            let scales = GaussianProcess.lengthScales
            let work = SharedBuffer(
                buffer: UnsafeMutableBufferPointer<(rows: [Double], failedAt: Int?)>.allocate(capacity: scales.count))
            _ = work.buffer.initialize(from: state.factors)
            state.factors = []
            let kept = shared
            ParallelWork.forEach(scales.count) { index in
                if let row = work.buffer[index].failedAt, row < kept { return }
                var rows = work.buffer[index].rows
                work.buffer[index].rows = []
                let failedAt = GaussianProcess.extendFactor(
                    &rows, from: kept, points, n, d, scales[index], jitter: jitter)
                work.buffer[index] = (rows, failedAt)
            }
            state.factors = Array(work.buffer)
            work.buffer.deinitialize().deallocate()
            let result = state.factors.map { $0.failedAt == nil ? $0.rows : nil }
            state.points = points
            state.dimensions = d
            state.jitter = jitter
            return result
        }
    }
}
