import Foundation
import TunerCore

extension StudyJournal {
    /// The COMPLETED trials, best first (S14); ties keep trial order.
    public func bestTrials(_ count: Int = 1) throws -> [TrialRecord] {
        Array(try trials().ranked(by: try study().objective).prefix(max(0, count)))
    }

    /// KerasTuner's `results_summary` text, from the journal alone: the best COMPLETED
    /// trials first, then FAILED trials with their error, `numTrials` blocks at most.
    public func resultsSummary(numTrials: Int = 10) throws -> String {
        resultsSummaryText(study: try study(), trials: try trials(), numTrials: numTrials)
    }
}
