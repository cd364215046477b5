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
        let study = try study()
        let space = (try? study.searchSpace()) ?? SearchSpace()
        let best = try bestTrials(numTrials)
        let failed = try trials().filter { $0.status == .failed }
        let shown = Array((best + failed).prefix(max(0, numTrials)))
        var lines = [
            "Results summary",
            "Results in \((study.directory as NSString).appendingPathComponent(study.name))",
            "Showing \(numTrials) best trials",
            "\(study.objective)",
        ]
        for trial in shown {
            lines.append("")
            lines.append("Trial \(trial.trialID) summary")
            lines.append("Hyperparameters:")
            for (name, value) in space.ordered((try? trial.values()) ?? [:]) {
                lines.append("\(name): \(value)")
            }
            if trial.status == .completed, let score = trial.score {
                lines.append("Score: \(score)")
            } else {
                lines.append("Status: \(trial.status)")
                if let type = trial.errorType { lines.append("\(type): \(trial.message ?? "")") }
            }
        }
        return lines.joined(separator: "\n")
    }
}
