import Foundation
import TunerCore
import TunerJournal

/// A fault-tolerant, resumable hyperparameter search: an oracle, an objective, failure
/// limits, and the study journal that makes every state change durable.
///
/// Use ``GridSearch`` or ``RandomSearch`` with a hypermodel, or a `Tuner` with your own
/// trial body (KerasTuner's `run_trial` override):
///
/// ```swift
/// let hp = HyperParameters()
/// try hp.float("learning_rate", min: 1e-4, max: 1e-1, sampling: .log)
/// let tuner = try Tuner(oracle: RandomSearchOracle(), objective: "val_loss", hyperparameters: hp,
///                       maxTrials: 20, maxRetriesPerTrial: 1, seed: 7)
/// let outcome = try tuner.search { context in
///     TrialResult(metrics: ["val_loss": try train(context.hyperparameters, seed: context.seed)])
/// }
/// ```
public class Tuner {
    /// The oracle that proposes each trial.
    public let oracle: any Oracle
    /// What the search optimizes.
    public let objective: Objective
    /// The search space, journaled with the study; it grows when a trial defines a new
    /// hyperparameter (KerasTuner's hyperparameters defined in `fit`).
    public internal(set) var space: SearchSpace
    /// The directory that holds the project (KerasTuner's `directory`).
    public let directory: String
    /// The project's name (KerasTuner's `project_name`).
    public let projectName: String
    /// The maximum number of trials (retries take no slot, S10); `nil`: until exhausted.
    public var maxTrials: Int?
    /// Retries of a trial that throws or returns a non-finite objective (S8).
    public var maxRetriesPerTrial: Int
    /// Stop when this many trials in a row end FAILED (S16); `nil` disables.
    public var maxConsecutiveFailedTrials: Int?
    /// Mark a trial FAILED once its process was found dead this many times (S7); `nil` disables.
    public var maxInterruptionsPerTrial: Int?
    /// 0: errors only; 1: KerasTuner's lines; 2: also each attempt's trace.
    public var verbose: Int
    /// Whether `search` journals SIGINT, SIGTERM, SIGHUP, SIGPIPE and SIGQUIT as a graceful
    /// stop (on by default; S6a). The search then returns an `interrupted` outcome.
    public var handlesSignals: Bool
    /// Runs on the signal queue once a graceful stop is journaled and the running trial told
    /// to stop; the journal then refuses every write. A command line exits here, with
    /// ``SearchInterruptedError/exitCode``; a library caller may leave it `nil`.
    public var onInterrupt: (@Sendable (SearchInterruptedError) -> Void)?
    /// Where console lines go.
    public var output: any SearchOutput
    /// The study journal.
    public let journal: StudyJournal
    /// The study seed (the journaled one when the study existed).
    public let seed: UInt64

    /// The journal file of a study: `directory/projectName/journal.sqlite`.
    public static func journalPath(directory: String, projectName: String) -> String {
        ((directory as NSString).appendingPathComponent(projectName) as NSString).appendingPathComponent("journal.sqlite")
    }

    /// Makes a tuner and opens (or creates, or resumes) its study.
    ///
    /// - Parameters:
    ///   - seed: the study seed; `nil` draws one for a new study. A resumed study keeps its own.
    ///   - overwrite: start an empty study (S27).
    ///   - journalOptions: durability (`synchronous`), accepting a changed space or trial
    ///     definition, and test hooks.
    ///   - trialDefinition: what a trial runs, as canonical JSON (a study file's `trial`), so
    ///     that a resume with another definition is refused (S25); `nil` when the trial is code.
    /// - Throws: ``SearchConfigurationError`` for invalid limits; `JournalError` when the
    ///   study cannot be opened (S25, S26).
    public init(oracle: any Oracle, objective: Objective, hyperparameters: HyperParameters = HyperParameters(),
                directory: String = ".", projectName: String = "untitled_project", maxTrials: Int? = nil,
                maxRetriesPerTrial: Int = 0, maxConsecutiveFailedTrials: Int? = 3, maxInterruptionsPerTrial: Int? = 3,
                seed: UInt64? = nil, overwrite: Bool = false, verbose: Int = 1,
                journalOptions: JournalOptions = JournalOptions(), output: any SearchOutput = StandardOutput(),
                trialDefinition: String? = nil) throws {
        try objective.validate()
        try Self.validate(maxTrials: maxTrials, maxRetriesPerTrial: maxRetriesPerTrial,
                          maxConsecutiveFailedTrials: maxConsecutiveFailedTrials, maxInterruptionsPerTrial: maxInterruptionsPerTrial)
        self.oracle = oracle
        self.objective = objective
        self.space = hyperparameters.space
        self.directory = directory
        self.projectName = projectName
        self.maxTrials = maxTrials ?? oracle.defaultMaxTrials
        self.maxRetriesPerTrial = maxRetriesPerTrial
        self.maxConsecutiveFailedTrials = maxConsecutiveFailedTrials
        self.maxInterruptionsPerTrial = maxInterruptionsPerTrial
        self.verbose = verbose
        self.handlesSignals = true
        self.output = output
        var options = journalOptions
        options.overwrite = options.overwrite || overwrite
        let descriptor = StudyDescriptor(name: projectName, directory: directory, tunerKind: oracle.kind,
                                         objective: objective, seed: seed ?? UInt64.random(in: 0...UInt64(UInt32.max)),
                                         space: hyperparameters.space, trialDefinition: trialDefinition)
        journal = try StudyJournal.open(at: Self.journalPath(directory: directory, projectName: projectName),
                                        study: descriptor, options: options)
        let study = try journal.study()
        self.seed = study.studySeed
        // A space the journal extended with hyperparameters trials defined is the one to search.
        if let stored = try? study.searchSpace(), stored.extends(hyperparameters.space) { self.space = stored }
    }

    /// KerasTuner's `search_space_summary()`: prints the search space.
    public func searchSpaceSummary() {
        output.line(space.summary())
    }
}

