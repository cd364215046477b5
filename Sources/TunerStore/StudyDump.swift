import TunerCore

/// Everything a study's store holds, read at one instant: what a SQLite journal copy of a
/// study kept elsewhere (PostgreSQL) is written from, so that every report, `status` and
/// export reads it as they read a journal.
///
/// ```swift
/// let dump = try store.dump()
/// print(dump.trials.count, dump.attempts.count)
/// ```
public struct StudyDump: Sendable, Equatable {
    /// An accepted change of the study's space or trial definition.
    public struct Amendment: Sendable, Equatable {
        /// When, in seconds since 1970.
        public var at: Double
        /// `space` or `trial`.
        public var what: String
        /// The value before.
        public var previous: String?
        /// The value after.
        public var current: String

        /// Makes an amendment.
        public init(at: Double, what: String, previous: String?, current: String) {
            self.at = at
            self.what = what
            self.previous = previous
            self.current = current
        }
    }

    /// A result refused by fencing (section 9).
    public struct Late: Sendable, Equatable {
        /// The attempt's id.
        public var attempt: Int64
        /// The session that reported it.
        public var session: Int64
        /// When, in seconds since 1970.
        public var at: Double
        /// The outcome it would have journaled.
        public var outcome: AttemptOutcome
        /// Its score, when finite.
        public var score: Double?
        /// Its message.
        public var message: String?

        /// Makes a late result.
        public init(
            attempt: Int64, session: Int64, at: Double, outcome: AttemptOutcome, score: Double?, message: String?
        ) {
            self.attempt = attempt
            self.session = session
            self.at = at
            self.outcome = outcome
            self.score = score
            self.message = message
        }
    }

    /// The study row.
    public var study: StudyRecord
    /// The stops journaled for the whole study.
    public var stopCount = 0
    /// The session that journaled the last stop.
    public var stopSession: Int64?
    /// When the last stop was journaled.
    public var stoppedAt: Double?
    /// Every session, oldest first.
    public var sessions: [SessionRecord] = []
    /// Every trial, by number.
    public var trials: [TrialRecord] = []
    /// Every attempt, in the order they started.
    public var attempts: [AttemptRecord] = []
    /// Every epoch's metrics.
    public var epochMetrics: [EpochMetricRecord] = []
    /// Each trial's proposal basis (section 9).
    public var proposalBases: [Int: Int] = [:]
    /// The accepted changes, oldest first.
    public var amendments: [Amendment] = []
    /// The results refused by fencing, oldest first.
    public var lateResults: [Late] = []

    /// Makes a dump of a study with nothing in it yet.
    public init(study: StudyRecord) {
        self.study = study
    }
}
