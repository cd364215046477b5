import TunerCore
import TunerJournal

extension Tuner {
    /// The best COMPLETED trials, best first; FAILED trials never rank (S14).
    ///
    /// ```swift
    /// let best = try tuner.getBestTrials(numTrials: 3)
    /// ```
    public func getBestTrials(numTrials: Int = 1) throws -> [TrialRecord] {
        Array(try store.trials().ranked(by: objective).prefix(max(0, numTrials)))
    }

    /// The hyperparameters of the best COMPLETED trials; empty when none completed (S14).
    public func getBestHyperParameters(numTrials: Int = 1) throws -> [HyperParameters] {
        try getBestTrials(numTrials: numTrials).map { HyperParameters(space: space, values: try $0.values()) }
    }

    /// Prints KerasTuner's `results_summary`.
    public func resultsSummary(numTrials: Int = 10) throws {
        output.line(resultsSummaryText(study: try store.study(), trials: try store.trials(), numTrials: numTrials))
    }
}
