import Foundation
import TunerCore
import TunerRandom

/// Where trials fail, learned from the failed and completed points of a search (encoded in
/// [0, 1]ⁿ): the probability that a new point fails.
///
/// Two estimates, the larger wins:
/// - per hyperparameter, a Parzen density of the failed and of the completed trials, combined
///   as a naive Bayes classifier: it finds a region bounded along one hyperparameter ("units
///   above 256 fail") from a few failures, however many other hyperparameters there are;
/// - around a point, the kernel-weighted share of failures among its neighbours: it finds
///   a region that no single hyperparameter bounds, once the search has sampled it densely.
///
/// Each density mixes in a uniform prior, so a handful of trials gives a moderate answer.
///
/// ```swift
/// let classifier = FailureClassifier(failed: [[0.9, 0.1]], completed: [[0.2, 0.4], [0.3, 0.8]])
/// classifier.probability([0.95, 0.5])   // high: near where a trial failed along the first axis
/// ```
struct FailureClassifier {
    let failed: [[Double]]
    let completed: [[Double]]
    /// The kernel length scale of the neighbourhood estimate.
    let lengthScale: Double

    /// Each dimension's coordinates of the failed and of the completed points, contiguous.
    let failedColumns: [[Double]], completedColumns: [[Double]]

    init(failed: [[Double]], completed: [[Double]], lengthScale: Double = 0.2) {
        self.failed = failed
        self.completed = completed
        self.lengthScale = lengthScale
        let dimensions = (failed + completed).map(\.count).min() ?? 0
        failedColumns = (0..<dimensions).map { d in failed.map { $0[d] } }
        completedColumns = (0..<dimensions).map { d in completed.map { $0[d] } }
    }

    /// The classifier of a search's ended trials: failed ones against completed ones with a
    /// finite score (a completed trial without one counts in neither class), each encoded by
    /// `space` from the values `configuration` gives.
    init(
        trials: [OracleTrial], space: SearchSpace,
        configuration: (OracleTrial) -> [String: HyperParameterValue] = { $0.values }, lengthScale: Double = 0.2
    ) {
        self.init(
            failed: trials.filter { $0.status == .failed }.map { space.unitPoint(configuration($0)) },
            completed: trials.filter { $0.status == .completed && ($0.score?.isFinite ?? false) }
                .map { space.unitPoint(configuration($0)) },
            lengthScale: lengthScale)
    }

    /// The bandwidth of the one-dimensional densities of `count` points.
    static func bandwidth(_ count: Int) -> Double {
        max(0.05, 0.25 * Foundation.pow(Double(max(count, 1)), -0.2))
    }

    /// The density at `value` of the points' coordinate `dimension`, a Gaussian kernel on each
    /// point mixed with a uniform prior of weight one point.
    static func density(_ points: [[Double]], _ dimension: Int, _ value: Double) -> Double {
        density(points.map { $0[dimension] }, value)
    }

    /// The density at `value` of the points whose coordinates are `column`.
    static func density(_ column: [Double], _ value: Double) -> Double {
        let h = bandwidth(column.count)
        var sum = 1.0  // the uniform prior's density on [0, 1]
        for coordinate in column {
            let z = (value - coordinate) / h
            sum += Foundation.exp(-0.5 * z * z) / (h * 2.5066282746310002)
        }
        return sum / Double(column.count + 1)
    }

    /// The naive Bayes estimate from the per-hyperparameter densities.
    func perDimension(_ x: [Double]) -> Double {
        guard !failed.isEmpty else { return 0 }
        let nf = Double(failed.count), nc = Double(completed.count)
        var logOdds = Foundation.log((nf + 1) / (nc + 1))
        for d in 0..<min(x.count, failedColumns.count) {
            let failedDensity = Self.density(failedColumns[d], x[d])
            let completedDensity = Self.density(completedColumns[d], x[d])
            logOdds += Foundation.log(failedDensity) - Foundation.log(completedDensity)
        }
        return 1 / (1 + Foundation.exp(-logOdds))
    }

    /// The kernel-weighted share of failures around the point.
    func neighbourhood(_ x: [Double]) -> Double {
        guard !failed.isEmpty else { return 0 }
        let f = failed.reduce(0) { $0 + GaussianProcess.matern52($1, x, lengthScale) }
        let c = completed.reduce(0) { $0 + GaussianProcess.matern52($1, x, lengthScale) }
        return f / (f + c + 1e-12)
    }

    /// The probability that a trial at `x` fails; 0 while no trial has failed.
    func probability(_ x: [Double]) -> Double {
        guard !failed.isEmpty else { return 0 }
        return max(perDimension(x), neighbourhood(x))
    }

    /// A random configuration unlikely to fail: the first of up to `draws` draws that is not
    /// tried and whose probability of failing is under `threshold`, else the least likely of the
    /// first `untried` untried draws; `nil` when every draw was tried.
    func safestDraw(
        from space: SearchSpace, using rng: inout SplitMix64, draws: Int, untried: Int,
        threshold: Double = 0.05, isTried: ([String: HyperParameterValue]) -> Bool
    ) -> [String: HyperParameterValue]? {
        var best: (probability: Double, values: [String: HyperParameterValue])?
        var fresh = 0
        for _ in 0..<draws where fresh < untried {
            let values = space.sample(using: &rng)
            guard !isTried(values) else { continue }
            fresh += 1
            let probability = probability(space.unitPoint(values))
            if probability < threshold { return values }
            if best.map({ probability < $0.probability }) ?? true { best = (probability, values) }
        }
        return best?.values
    }
}
