import Foundation
import TunerCore
import TunerJournal
import TunerEngine

/// A seeded workload with random failures, for crash-equivalence tests and benchmarks:
/// each attempt's outcome depends only on the trial seed and the retry index, so a search
/// that is killed and resumed must end with the same trials as one that is not.
///
/// ```swift
/// let workload = FlakyWorkload(errorRate: 0.3, sleepMicroseconds: 2000)
/// try tuner.search(workload.run)
/// ```
public struct FlakyWorkload: Sendable {
    /// Probability that an attempt throws a plain (retried) error.
    public var errorRate: Double
    /// Probability that an attempt throws `FailedTrialError`.
    public var failedRate: Double
    /// Probability that an attempt returns a NaN objective.
    public var nanRate: Double
    /// Up to this many microseconds of work per epoch (a window for kills).
    public var sleepMicroseconds: Int
    /// Epochs per attempt.
    public var epochs: Int

    /// Makes a workload.
    public init(
        errorRate: Double = 0.25, failedRate: Double = 0.05, nanRate: Double = 0.05,
        sleepMicroseconds: Int = 0, epochs: Int = 3
    ) {
        self.errorRate = errorRate
        self.failedRate = failedRate
        self.nanRate = nanRate
        self.sleepMicroseconds = sleepMicroseconds
        self.epochs = epochs
    }

    /// The space the workload searches: two floats, an int and a choice.
    public static func space() throws -> HyperParameters {
        let hp = HyperParameters()
        try hp.float("learning_rate", min: 1e-4, max: 1e-1, sampling: .log)
        try hp.int("units", min: 8, max: 64, step: 8)
        try hp.choice("activation", ["relu", "tanh"])
        try hp.float("dropout", min: 0, max: 0.5, step: 0.1)
        return hp
    }

    /// Runs one attempt.
    public func run(_ context: TrialContext) throws -> TrialResult {
        var rng = SplitMix64(seed: SplitMix64.mix(context.seed, UInt64(context.retry)))
        let u = rng.nextDouble()
        let lr = context.hyperparameters["learning_rate"]?.doubleValue ?? 1e-3
        let units = context.hyperparameters["units"]?.doubleValue ?? 8
        var history: [[String: Double]] = []
        for epoch in 0..<epochs {
            if sleepMicroseconds > 0 { usleep(UInt32(rng.nextInt(below: sleepMicroseconds + 1))) }
            let base = abs(log10(lr) + 2.5) * 0.1 + 32 / (units + 32) * 0.2
            history.append(["loss": base + 0.5 / Double(epoch + 1), "val_loss": base + 0.55 / Double(epoch + 1)])
        }
        if u < errorRate { throw ValueError("simulated failure (draw \(formatG5(u)))") }
        if u < errorRate + failedRate { throw FailedTrialError("simulated definite failure (draw \(formatG5(u)))") }
        if u < errorRate + failedRate + nanRate { return TrialResult(metrics: ["loss": .nan, "val_loss": .nan]) }
        return TrialResult(history: history)
    }
}
