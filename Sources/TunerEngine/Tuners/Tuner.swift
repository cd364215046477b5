import Foundation
import TunerCore
import TunerJournal
import TunerPostgres

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
    /// The search's limits; they may change between searches of the same study (S16).
    public var limits: SearchLimits
    /// How much the search prints.
    public var verbose: Verbosity
    /// Whether `search` journals a signal as a graceful stop (S6a); see
    /// ``TunerConfiguration/handlesSignals``.
    public var handlesSignals: Bool
    /// Runs on the signal queue once a graceful stop is journaled and the running trial told
    /// to stop; the journal then refuses every write, and `search` returns an `interrupted`
    /// outcome once the running trial has stopped.
    public var onInterrupt: (@Sendable (SearchInterruptedError) -> Void)?
    /// Where console lines go.
    public var output: any SearchOutput
    /// The store the search writes through: the SQLite journal, or a PostgreSQL study.
    package let store: any StudyStore
    /// The study journal.
    ///
    /// - Throws: `JournalError` when the study is kept in PostgreSQL
    ///   (``TunerConfiguration/store``); read it through ``postgresStore``.
    public var journal: StudyJournal {
        get throws {
            guard let journal = store as? StudyJournal else {
                throw JournalError(
                    .missing, path: store.location,
                    "this study is kept in PostgreSQL, not in a journal file: read it through `postgresStore`, or " +
                        "copy it into a journal with `tuner export --store`"
                )
            }
            return journal
        }
    }
    /// The PostgreSQL study, when ``TunerConfiguration/store`` named one.
    public var postgresStore: PostgresStudyStore? { store as? PostgresStudyStore }
    /// The study seed (the journaled one when the study existed).
    public let seed: UInt64

    /// The journal file of a study: `directory/projectName/journal.sqlite`.
    public static func journalPath(directory: String, projectName: String) -> String {
        ((directory as NSString).appendingPathComponent(projectName) as NSString).appendingPathComponent(
            "journal.sqlite")
    }

    /// Makes a tuner and opens (or creates, or resumes) its study.
    ///
    /// - Parameters:
    ///   - configuration: where the study lives, its limits, seed, durability, console and
    ///     signals; a `maxTrials` of `nil` takes the oracle's default.
    ///   - output: where console lines go.
    /// - Throws: ``SearchConfigurationError`` for invalid limits; `JournalError` when the
    ///   study cannot be opened (S25, S26).
    public init(
        oracle: any Oracle, objective: Objective, hyperparameters: HyperParameters = HyperParameters(),
        configuration: TunerConfiguration = TunerConfiguration(),
        output: any SearchOutput = StandardOutput()
    ) throws {
        try objective.validate()
        var limits = configuration.limits
        limits.maxTrials = limits.maxTrials ?? oracle.defaultMaxTrials
        try limits.validate()
        self.oracle = oracle
        self.objective = objective
        self.space = hyperparameters.space
        self.directory = configuration.directory
        self.projectName = configuration.projectName
        self.limits = limits
        self.verbose = configuration.verbose
        self.handlesSignals = configuration.handlesSignals
        self.output = output
        var options = configuration.journal
        options.overwrite = options.overwrite || configuration.overwrite
        let seed = configuration.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        let descriptor = StudyDescriptor(
            name: projectName, directory: directory, tunerKind: oracle.kind,
            objective: objective, seed: seed, space: hyperparameters.space,
            trialDefinition: configuration.trialDefinition)
        if let url = configuration.store {
            store = try PostgresStudyStore.open(url: url, study: descriptor, options: options)
        } else {
            store = try StudyJournal.open(
                at: Self.journalPath(directory: directory, projectName: projectName),
                study: descriptor, options: options)
        }
        let study = try store.study()
        self.seed = study.studySeed
        // A space the journal extended with hyperparameters trials defined is the one to search.
        if let stored = try? study.searchSpace(), stored.extends(hyperparameters.space) { self.space = stored }
    }

    /// KerasTuner's `search_space_summary()`: prints the search space.
    public func searchSpaceSummary() {
        output.line(space.summary())
    }
}
