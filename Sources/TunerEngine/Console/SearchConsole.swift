import Dispatch
import TunerCore
import TunerJournal

/// The search's console lines, as KerasTuner prints them (SEMANTICS section 8): the trial's
/// announcement and value table, its result or failure, retries left, the best so far, the
/// elapsed time, and the live progress line. A value built from the session's state; it
/// writes to an output and decides nothing.
struct SearchConsole {
    let output: any SearchOutput
    let verbose: Verbosity
    let objective: Objective
    let space: SearchSpace
    let maxRetriesPerTrial: Int
    /// How many trials the search runs in all, where known (`maxTrials`, or a grid's size).
    let plannedTrials: Int?
    /// The best trial so far: its values and score.
    let best: (values: [String: HyperParameterValue], score: Double)?
    let started: DispatchTime
    let trialsThisSession: Int

    /// `Search: Running Trial #N` and the value table, then the progress line.
    func announce(_ number: Int, _ trialValues: [String: HyperParameterValue]) {
        guard verbose >= .progress else { return }
        output.line("")
        output.line("Search: Running Trial #\(number + 1)")
        output.line("")
        output.line(cell("Value") + "|" + cell("Best Value So Far") + "|Hyperparameter")
        for (name, value) in space.ordered(trialValues) {
            let bestText = best?.values[name]?.description ?? "None"
            output.line(cell(value.description) + "|" + cell(bestText) + "|" + name)
        }
        output.line("")
        output.progress(progressText(number))
    }

    /// An attempt's end: complete or failed, the retries left, the best so far, the total time.
    func report(_ number: Int, _ end: AttemptEnd, counted failures: Int, totalElapsed: @autoclosure () -> Double) {
        guard verbose >= .progress else { return }
        let elapsed = formatElapsed(end.duration)
        if end.outcome == .completed {
            output.line("Trial \(number + 1) Complete [\(elapsed)]")
            output.line("\(objective.name): \(formatMetric(end.score ?? .nan))")
        } else {
            output.line("Trial \(number + 1) failed [\(elapsed)]")
            output.line("\(end.errorType ?? "Error"): \(end.message ?? "")")
            if verbose >= .traces, let trace = end.trace { output.line(trace) }
            if end.trialStatus == .invalid {
                let left = SearchRules.retriesLeft(counted: failures, maxRetriesPerTrial: maxRetriesPerTrial)
                output.line("Trial \(trialID(number)) failed \(failures) times. \(left) retries left.")
            } else if end.outcome == .failed {
                output.line(
                    "Trial \(trialID(number)) failed with \(end.errorType ?? "FailedTrialError"): not retried. " +
                        "Marked FAILED."
                )
            } else {
                output.line("Trial \(trialID(number)) failed \(failures) times. No retries left: marked FAILED.")
            }
        }
        output.line("")
        output.line("Best \(objective.name) So Far: " + (best.map { formatMetric($0.score) } ?? "None"))
        output.line("Total elapsed time: \(formatElapsed(totalElapsed()))")
    }

    /// "Trial k of n · best … · ETA …", for the live line on a terminal.
    func progressText(_ number: Int) -> String {
        var text = "Trial \(number + 1)"
        if let plannedTrials { text += " of \(plannedTrials)" }
        if let best { text += " · best \(objective.name) \(formatMetric(best.score))" }
        if let plannedTrials, trialsThisSession > 0 {
            let perTrial = seconds(since: started) / Double(trialsThisSession)
            text += " · ETA \(formatElapsed(perTrial * Double(max(0, plannedTrials - number))))"
        }
        return text
    }
}
