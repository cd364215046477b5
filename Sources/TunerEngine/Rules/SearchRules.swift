import TunerCore
import TunerJournal

/// The contract's decisions as pure functions over values (SEMANTICS S1–S11, S15–S19): how an
/// attempt ended, whether the trial is retried or ends, and whether the search stops. The
/// search loop only sequences them with journal writes; tests call them directly.
///
/// ```swift
/// let verdict = SearchRules.classify(.failure(ValueError("boom")), objective: "val_loss", duration: 0.1)
/// SearchRules.trialStatus(after: verdict.end.outcome, countedBefore: 0, maxRetriesPerTrial: 1)   // .invalid
/// ```
package enum SearchRules {
    /// How an attempt ended, classified.
    package struct Verdict: Sendable {
        /// The attempt's end as the journal records it; its `trialStatus` is the one the
        /// outcome implies before retries are counted (``trialStatus(after:countedBefore:maxRetriesPerTrial:)``).
        package var end: AttemptEnd
        /// For a fatal attempt (S5, S11): the message the session ends with.
        package var stopMessage: String?
        /// For an objective missing from the metrics (S11): the error the search throws.
        package var missingObjective: ObjectiveNotFoundError?
    }

    /// What an attempt's body did: returned a result or threw.
    package typealias BodyResult = Result<TrialResult, any Error>

    /// Whether an error is the search's own (its journal, its environment, a stop on a
    /// signal) rather than the trial's: such an error is never classified as an attempt's
    /// end; the search stops with it (S6a, S28).
    package static func isSearchError(_ error: any Error) -> Bool {
        error is JournalError || error is SearchInterruptedError || error is SearchEnvironmentError
    }

    /// Classifies an attempt that did not end the search on its own error: S1 a finite
    /// objective completes; S4 a non-finite one is invalid; S11 a missing objective is fatal;
    /// S2 a non-retryable error fails; S5 a fatal error is fatal; S3 any other error is an error.
    ///
    /// - Precondition: the error, if any, is not a search error (``isSearchError(_:)``).
    package static func classify(_ result: BodyResult, objective: Objective, duration: Double) -> Verdict {
        switch result {
        case .success(let result):
            guard let best = result.best(for: objective) else {
                let error = ObjectiveNotFoundError(objective: objective.name, available: result.metricNames)
                return Verdict(
                    end: AttemptEnd(
                        outcome: .fatal, errorType: "ObjectiveNotFoundError", message: error.description,
                        trace: error.description, duration: duration, epochs: result.history,
                        trialStatus: .stopped),
                    stopMessage: error.description, missingObjective: error)
            }
            if best.value.isFinite {
                return Verdict(
                    end: AttemptEnd(
                        outcome: .completed, duration: duration, score: best.value,
                        bestEpoch: best.epoch, metrics: best.metrics, epochs: result.history,
                        trialStatus: .completed))
            }
            return Verdict(
                end: AttemptEnd(
                    outcome: .invalid, errorType: "InvalidObjective",
                    message: "the objective \(objective.name) is \(formatMetric(best.value))",
                    duration: duration, score: best.value, bestEpoch: best.epoch,
                    metrics: best.metrics, epochs: result.history, trialStatus: .invalid))
        case .failure(let error):
            let (type, message, trace) = describe(error)
            if error is FatalSearchError {
                return Verdict(
                    end: AttemptEnd(
                        outcome: .fatal, errorType: type, message: message, trace: trace,
                        duration: duration, trialStatus: .stopped),
                    stopMessage: "\(type): \(message)")
            }
            let outcome: AttemptOutcome = error is NonRetryableTrialError ? .failed : .error
            return Verdict(
                end: AttemptEnd(
                    outcome: outcome, errorType: type, message: message, trace: trace,
                    duration: duration, trialStatus: .invalid))
        }
    }

    /// The trial's status after an attempt (S7, S8): COMPLETED; FAILED for a non-retryable
    /// failure or when the counted attempts reach `1 + maxRetriesPerTrial`; STOPPED for a fatal
    /// or interrupted attempt; INVALID (a retry follows) otherwise.
    ///
    /// - Parameter countedBefore: the trial's counted attempts before this one.
    package static func trialStatus(after outcome: AttemptOutcome, countedBefore: Int, maxRetriesPerTrial: Int)
        -> TrialStatus
    {
        switch outcome {
        case .completed: return .completed
        case .fatal, .interrupted: return .stopped
        case .failed: return .failed
        case .error, .invalid:
            let attemptsLeft = maxRetriesPerTrial + 1 - (countedBefore + 1)
            return attemptsLeft <= 0 ? .failed : .invalid
        }
    }

    /// The attempts a trial has left after `counted` counted ones (S8), never negative.
    package static func retriesLeft(counted: Int, maxRetriesPerTrial: Int) -> Int {
        max(0, maxRetriesPerTrial + 1 - counted)
    }

    /// Whether a trial whose process was found dead `deaths` times is marked FAILED without
    /// running again (S7); `limit` `nil` disables the rule.
    package static func diedTooOften(deaths: Int, limit: Int?) -> Bool {
        guard let limit else { return false }
        return deaths >= limit
    }

    /// The stop a FAILED trial triggers (S16, S19): the consecutive-failure limit, once the
    /// streak reaches it; `nil` when the limit is off or not reached.
    ///
    /// - Parameters:
    ///   - streak: the streak after this trial (S15).
    ///   - failedRun: the ids of the trailing FAILED trials, oldest first (read only when the
    ///     limit is reached).
    ///   - lastError: the error that ended this trial, as "Type: message".
    package static func streakStop(
        streak: Int, limit: Int?, failedRun: () throws -> [String],
        lastError: String
    ) rethrows -> SessionStop? {
        guard let limit, streak >= limit else { return nil }
        let failed = try failedRun()
        return SessionStop(
            reason: .consecutiveFailures,
            message: "Number of consecutive failures reached the limit of "
                + "\(limit) (max_consecutive_failed_trials): trials \(failed.joined(separator: ", ")) failed in a row. "
                + "The last error was: \(lastError)")
    }
}

/// The type name, message and trace of an error.
func describe(_ error: any Error) -> (type: String, message: String, trace: String) {
    let type = (error as? NamedTrialError)?.errorTypeName ?? String(describing: Swift.type(of: error))
    let message = String(describing: error)
    var trace = "\(type): \(message)\n\(String(reflecting: error))"
    if let traced = error as? TracedError { trace = traced.trace }
    return (type, message, trace)
}
