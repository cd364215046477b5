import Foundation
import TunerCore

/// KerasTuner's `results_summary()` text for a study's trials: the best completed trials,
/// then the failed ones, up to `numTrials`.
package func resultsSummaryText(study: StudyRecord, trials: [TrialRecord], numTrials: Int) -> String {
    let space = (try? study.searchSpace()) ?? SearchSpace()
    let best = Array(trials.ranked(by: study.objective).prefix(max(0, numTrials)))
    let failed = trials.filter { $0.status == .failed }
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
