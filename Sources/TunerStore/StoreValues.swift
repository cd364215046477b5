import TunerCore

/// How an attempt ended, as the engine journals it in one transaction with the trial's
/// new status and the streak (S22).
///
/// ```swift
/// let end = AttemptEnd(outcome: .error, errorType: "ValueError", message: "boom", trace: "…",
///                      duration: 0.4, trialStatus: .invalid)
/// ```
package struct AttemptEnd: Sendable {
    /// The attempt's outcome.
    package var outcome: AttemptOutcome
    /// The error's type name, for a failed attempt.
    package var errorType: String?
    /// The error's message.
    package var message: String?
    /// The error's full trace.
    package var trace: String?
    /// How long the attempt ran, in seconds.
    package var duration: Double
    /// The objective's value at the best epoch.
    package var score: Double?
    /// The best epoch (0-based).
    package var bestEpoch: Int?
    /// The metrics at the best epoch.
    package var metrics: [String: Double]
    /// Per-epoch metrics, one dictionary per epoch.
    package var epochs: [[String: Double]]
    /// The trial's status after this attempt.
    package var trialStatus: TrialStatus

    /// Makes an attempt end.
    package init(outcome: AttemptOutcome, errorType: String? = nil, message: String? = nil, trace: String? = nil,
                duration: Double, score: Double? = nil, bestEpoch: Int? = nil, metrics: [String: Double] = [:],
                epochs: [[String: Double]] = [], trialStatus: TrialStatus) {
        self.outcome = outcome
        self.errorType = errorType
        self.message = message
        self.trace = trace
        self.duration = duration
        self.score = score
        self.bestEpoch = bestEpoch
        self.metrics = metrics
        self.epochs = epochs
        self.trialStatus = trialStatus
    }
}

/// What recovery found when a study was reopened (S23).
package struct RecoveryReport: Sendable, Equatable {
    /// Sessions that had not ended and were closed as `interrupted`.
    package var closedSessions: [Int64]
    /// Attempts that were running and became `interrupted`.
    package var interruptedAttempts: Int
    /// Trials that were RUNNING and became STOPPED, to be re-run first.
    package var stoppedTrials: [Int]

    /// Makes a report.
    package init(closedSessions: [Int64], interruptedAttempts: Int, stoppedTrials: [Int]) {
        self.closedSessions = closedSessions
        self.interruptedAttempts = interruptedAttempts
        self.stoppedTrials = stoppedTrials
    }
}

/// A stop decided in the transaction that ended an attempt (S17, S20).
package struct SessionStop: Sendable, Equatable {
    /// Why the session ends.
    package var reason: StopReason
    /// The stop message.
    package var message: String

    /// Makes a stop.
    package init(reason: StopReason, message: String) {
        self.reason = reason
        self.message = message
    }
}

/// What the transaction that ended an attempt (or a trial) committed.
package struct AttemptCommit: Sendable, Equatable {
    /// The consecutive-failure streak afterwards (S15).
    package var streak: Int
    /// The trial's place in end order, when the transaction ended it (S15).
    package var endSeq: Int?
    /// The stop journaled with it, if any.
    package var stop: SessionStop?

    /// Makes a commit.
    package init(streak: Int, endSeq: Int?, stop: SessionStop?) {
        self.streak = streak
        self.endSeq = endSeq
        self.stop = stop
    }
}
