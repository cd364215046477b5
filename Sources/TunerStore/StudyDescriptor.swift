import TunerCore

/// What a search expects of its study: checked against the journal when it is opened (S25).
///
/// ```swift
/// let descriptor = StudyDescriptor(name: "untitled_project", directory: ".", tunerKind: "GridSearch",
///                                  objective: Objective("val_loss", direction: .min), seed: 42, space: hp.space)
/// ```
public struct StudyDescriptor: Sendable, Equatable {
    /// The project name.
    public var name: String
    /// The directory the study lives in.
    public var directory: String
    /// The tuner kind.
    public var tunerKind: TunerKind
    /// The objective.
    public var objective: Objective
    /// The study seed for a new study; an existing study keeps its own.
    public var seed: UInt64
    /// The search space.
    public var space: SearchSpace
    /// What a trial runs, as canonical JSON (a study file's `trial`); `nil` when the trial is
    /// code the journal cannot compare.
    public var trialDefinition: String?

    /// Makes a descriptor.
    public init(
        name: String, directory: String, tunerKind: TunerKind, objective: Objective, seed: UInt64, space: SearchSpace,
        trialDefinition: String? = nil
    ) {
        self.trialDefinition = trialDefinition
        self.name = name
        self.directory = directory
        self.tunerKind = tunerKind
        self.objective = objective
        self.seed = seed
        self.space = space
    }
}

/// How a journal is opened for writing.
public struct JournalOptions: Sendable {
    /// SQLite's `synchronous` setting for the journal.
    public enum Synchronous: String, Sendable {
        /// Every commit reaches the disk before the search goes on: survives power loss (default).
        case full = "FULL"
        /// Commits survive a crash of the process, not a power loss; faster.
        case normal = "NORMAL"
    }

    /// Start an empty study, deleting an existing journal (KerasTuner's `overwrite`, S27).
    public var overwrite: Bool
    /// SQLite's `synchronous` setting.
    public var synchronous: Synchronous
    /// Accept a search space that differs from the journaled one (the journaled one is
    /// replaced, and the change journaled).
    public var acceptSpaceChange: Bool
    /// Accept a trial definition that differs from the journaled one (replaced and journaled).
    public var acceptTrialChange: Bool
    /// Caps the database's size in pages, to test a full disk (`PRAGMA max_page_count`).
    public var maxPageCount: Int?
    /// Join the study as this worker, beside other workers of the same study, instead of as
    /// its one writer (section 9); `nil` for a search that has the study to itself (S26).
    public var worker: String?
    /// How long a worker's lease on a PostgreSQL study lasts without renewal, in seconds: a
    /// worker silent for longer is found dead and its running attempt re-run (section 9).
    public var leaseSeconds: Double = 15

    /// Makes options; the defaults are durable and strict.
    public init(
        overwrite: Bool = false, synchronous: Synchronous = .full, acceptSpaceChange: Bool = false,
        acceptTrialChange: Bool = false, maxPageCount: Int? = nil, worker: String? = nil
    ) {
        self.worker = worker
        self.acceptTrialChange = acceptTrialChange
        self.overwrite = overwrite
        self.synchronous = synchronous
        self.acceptSpaceChange = acceptSpaceChange
        self.maxPageCount = maxPageCount
    }
}
