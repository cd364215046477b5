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
    package init(
        outcome: AttemptOutcome, errorType: String? = nil, message: String? = nil, trace: String? = nil,
        duration: Double, score: Double? = nil, bestEpoch: Int? = nil, metrics: [String: Double] = [:],
        epochs: [[String: Double]] = [], trialStatus: TrialStatus
    ) {
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
    /// Whether the write was refused because the attempt had been closed by another worker
    /// that found this one dead (section 9): the result was kept as a late result only.
    package var fenced: Bool

    /// Makes a commit.
    package init(streak: Int, endSeq: Int?, stop: SessionStop?, fenced: Bool = false) {
        self.streak = streak
        self.endSeq = endSeq
        self.stop = stop
        self.fenced = fenced
    }

    /// Whether the worker may claim its next work in the same transaction: not after a stop it
    /// journaled, nor after a write fencing refused (section 9).
    package var allowsClaim: Bool { stop == nil && !fenced }
}

/// What a worker asks for when it claims work (section 9).
package struct ClaimRequest: Sendable {
    /// The worker's session.
    package var session: Int64
    /// The trials the worker knows of (numbers below this one).
    package var knownTrials: Int
    /// The trial ends the worker knows of (end order up to this one).
    package var knownEnds: Int
    /// The study's `maxTrials`, when set.
    package var maxTrials: Int?
    /// The study's `maxInterruptionsPerTrial`, when set (S7).
    package var maxInterruptionsPerTrial: Int?
    /// How many numbers past `knownTrials` a store may propose for before it knows the last
    /// results: 0 when proposals depend on results; 1 when they depend on every earlier trial's
    /// configuration (the next number only); more when a proposal holds beside trials the worker
    /// has not seen, as long as none has its configuration.
    package var lookahead: Int

    /// Makes a request.
    package init(
        session: Int64, knownTrials: Int, knownEnds: Int, maxTrials: Int?, maxInterruptionsPerTrial: Int?,
        lookahead: Int = 0
    ) {
        self.session = session
        self.knownTrials = knownTrials
        self.knownEnds = knownEnds
        self.maxTrials = maxTrials
        self.maxInterruptionsPerTrial = maxInterruptionsPerTrial
        self.lookahead = lookahead
    }
}

/// A new trial's configuration and seed, proposed inside the claim's transaction.
package struct ProposedTrial: Sendable {
    /// The hyperparameter values.
    package var values: [String: HyperParameterValue]
    /// The trial seed (S31).
    package var seed: UInt64

    /// Makes a proposal.
    package init(values: [String: HyperParameterValue], seed: UInt64) {
        self.values = values
        self.seed = seed
    }
}

/// What one claim transaction gave a worker (section 9).
package struct Claim: Sendable {
    /// The work claimed.
    package enum Work: Sendable {
        /// Run this attempt: of a queued trial (interrupted or to be retried), or of a new one.
        case run(TrialRecord, AttemptRecord, isNew: Bool)
        /// A queued trial whose process died too often was marked FAILED without running (S7).
        case failed(number: Int, message: String, AttemptCommit)
        /// Nothing to claim now, but other workers' trials are running: ask again later.
        case wait
        /// Nothing is left: every trial ended, and no new one may be created.
        case exhausted
        /// Another worker journaled a stop (a limit or a fatal error); this session ended with it.
        case stopped(SessionStop)
    }

    /// The work.
    package var work: Work
    /// The trials created or ended since the request's marks, by number.
    package var refreshed: [TrialRecord]
    /// The trial ends journaled so far.
    package var ends: Int
    /// The claimed trial's counted attempts before this one (S8).
    package var counted: Int
    /// The sessions of dead workers this claim closed.
    package var reaped: [Int64]

    /// Makes a claim.
    package init(work: Work, refreshed: [TrialRecord], ends: Int, counted: Int = 0, reaped: [Int64] = []) {
        self.work = work
        self.refreshed = refreshed
        self.ends = ends
        self.counted = counted
        self.reaped = reaped
    }
}
