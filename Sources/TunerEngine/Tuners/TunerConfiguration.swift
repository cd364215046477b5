import TunerCore
import TunerJournal

/// How much a search prints, as KerasTuner's `verbose`.
public enum Verbosity: Int, Sendable, Comparable, CaseIterable, ExpressibleByIntegerLiteral {
    /// Errors only.
    case silent = 0
    /// KerasTuner's lines: each trial's values and result, the best so far, elapsed times.
    case progress = 1
    /// Also every failed attempt's trace.
    case traces = 2

    /// KerasTuner's integers: 0 and below silent, 1 progress, 2 and above traces.
    public init(integerLiteral value: Int) {
        self = value <= 0 ? .silent : (value == 1 ? .progress : .traces)
    }

    /// Orders by how much is printed.
    public static func < (a: Verbosity, b: Verbosity) -> Bool { a.rawValue < b.rawValue }
}

/// Everything a tuner is configured with but its oracle, objective and space, as one value:
/// where the study lives, its limits, its seed, durability, console and signals.
///
/// ```swift
/// var configuration = TunerConfiguration(projectName: "mnist", maxRetriesPerTrial: 3, maxConsecutiveFailedTrials: 8)
/// configuration.verbose = .silent
/// let tuner = try GridSearch(hypermodel: buildModel, objective: "val_loss", configuration: configuration)
/// ```
public struct TunerConfiguration: Sendable {
    /// The directory that holds the project (KerasTuner's `directory`).
    public var directory: String
    /// The project's name (KerasTuner's `project_name`): the study's folder and journal.
    public var projectName: String
    /// The search's limits (KerasTuner's `max_trials`, `max_retries_per_trial`,
    /// `max_consecutive_failed_trials`, and the interruptions a trial may suffer).
    public var limits: SearchLimits
    /// The study seed; `nil` draws one for a new study. A resumed study keeps its own.
    public var seed: UInt64?
    /// Start an empty study, deleting the journal (S27).
    public var overwrite: Bool
    /// How much the search prints.
    public var verbose: Verbosity
    /// The journal's durability and what a resume accepts.
    public var journal: JournalOptions
    /// Where the study is kept: `nil` for the SQLite journal at `directory/projectName`, or a
    /// `postgresql://` URL, where the study is `projectName` and every tuner is one of its
    /// workers (section 9).
    public var store: String?
    /// What a trial runs, as canonical JSON (a study file's `trial`), so that a resume with
    /// another definition is refused (S25); `nil` when the trial is code.
    public var trialDefinition: String?
    /// Whether `search` journals SIGINT, SIGTERM, SIGHUP, SIGPIPE and SIGQUIT as a graceful
    /// stop (S6a). Off by default: a library installs no handler it was not asked for; the
    /// `tuner` command turns it on. The handlers found are restored when the search returns.
    public var handlesSignals: Bool

    /// Makes a configuration; the defaults are KerasTuner's.
    public init(
        directory: String = ".", projectName: String = "untitled_project", maxTrials: Int? = nil,
        maxRetriesPerTrial: Int = 0, maxConsecutiveFailedTrials: Int? = 3, maxInterruptionsPerTrial: Int? = 3,
        seed: UInt64? = nil, overwrite: Bool = false, verbose: Verbosity = .progress,
        journal: JournalOptions = JournalOptions(), store: String? = nil, trialDefinition: String? = nil,
        handlesSignals: Bool = false
    ) {
        self.directory = directory
        self.projectName = projectName
        self.limits = SearchLimits(
            maxTrials: maxTrials, maxRetriesPerTrial: maxRetriesPerTrial,
            maxConsecutiveFailedTrials: maxConsecutiveFailedTrials,
            maxInterruptionsPerTrial: maxInterruptionsPerTrial)
        self.seed = seed
        self.overwrite = overwrite
        self.verbose = verbose
        self.journal = journal
        self.store = store
        self.trialDefinition = trialDefinition
        self.handlesSignals = handlesSignals
    }
}
