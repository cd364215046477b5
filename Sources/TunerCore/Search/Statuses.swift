/// The status of a trial (SEMANTICS section 3).
///
/// ```swift
/// if trial.status == .completed { print(trial.score ?? .nan) }
/// ```
public enum TrialStatus: String, Codable, Sendable, CaseIterable {
    /// An attempt is in progress.
    case running = "RUNNING"
    /// Its last attempt failed and a retry is scheduled.
    case invalid = "INVALID"
    /// It returned a finite objective.
    case completed = "COMPLETED"
    /// It failed for good: retries exhausted, `FailedTrialError`, or killed too often.
    case failed = "FAILED"
    /// A fatal error or an interruption stopped it; it is re-run first on resume.
    case stopped = "STOPPED"
    /// Waiting between workers.
    case idle = "IDLE"
}

/// How one attempt of a trial ended (rules S1–S6).
public enum AttemptOutcome: String, Codable, Sendable, CaseIterable {
    /// Returned a finite objective (S1).
    case completed
    /// Threw `FailedTrialError` or another non-retryable error (S2).
    case failed
    /// Threw any other error (S3).
    case error
    /// Returned a NaN or infinite objective (S4).
    case invalid
    /// Threw a fatal error (S5).
    case fatal
    /// The process died or was stopped by a signal during the attempt (S6).
    case interrupted

    /// Whether the attempt uses one of the trial's `1 + maxRetriesPerTrial` attempts.
    public var isCounted: Bool {
        switch self {
        case .completed, .failed, .error, .invalid: true
        case .fatal, .interrupted: false
        }
    }
}

/// Why a search session ended (rule S21).
public enum StopReason: String, Codable, Sendable, CaseIterable {
    /// The space is exhausted or `maxTrials` was reached.
    case completed
    /// The consecutive-failure limit was reached.
    case consecutiveFailures
    /// A trial threw a fatal error (or the objective is missing, S11).
    case fatal
    /// SIGINT/SIGTERM, or the process was found dead at the next open.
    case interrupted
    /// The search itself failed (disk full, unwritable journal).
    case error
}

/// Formats a trial number as its id: 0-based, zero-padded to four digits (`0007`, `10000`).
public func trialID(_ number: Int) -> String {
    let digits = String(number)
    return digits.count >= 4 ? digits : String(repeating: "0", count: 4 - digits.count) + digits
}
