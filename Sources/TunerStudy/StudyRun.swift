import Foundation
import TunerCore
import TunerEngine
import TunerJournal
import TunerTrainer
import TunerTrainerCompat

/// Runs (or resumes) the search a study file describes.
///
/// Everything a user can get wrong — the file, its data, an objective no trial reports — is
/// checked before the journal is opened, so a bad input never creates or changes one.
///
/// ```swift
/// let study = try StudyFile.load("Fixtures/studies/seed-guide-tolerate.yaml")
/// let outcome = try await StudyRun(study: study).search()
/// ```
public struct StudyRun {
    /// The study.
    public var study: StudyFile
    /// Console verbosity: 0 errors only, 1 KerasTuner's lines, 2 with traces.
    public var verbose: Verbosity
    /// Where console lines go.
    public var output: any SearchOutput
    /// Whether SIGINT, SIGTERM, SIGHUP, SIGPIPE and SIGQUIT are journaled (on for the command line).
    public var handlesSignals: Bool
    /// Runs once a graceful stop is journaled (the command line exits there).
    public var onInterrupt: (@Sendable (SearchInterruptedError) -> Void)?

    /// Prepares a run.
    public init(
        study: StudyFile, verbose: Verbosity = .progress, output: any SearchOutput = StandardOutput(),
        handlesSignals: Bool = false
    ) {
        self.study = study
        self.verbose = verbose
        self.output = output
        self.handlesSignals = handlesSignals
    }

    /// The data of a built-in model trial: training, validation (or a split) and names.
    struct Prepared {
        var x: Matrix
        var y: Matrix
        var validation: (Matrix, Matrix)?
        /// The one-hot columns' class names, in order (`species=setosa`, …).
        var classes: [String]? = nil
    }

    /// Loads the data, relative to the study file's folder, with errors naming row and column.
    func prepare(_ spec: ModelSpec) throws -> Prepared {
        let base = (study.path as NSString).deletingLastPathComponent
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
        }
        switch spec.data {
        case let .random(rows, features, targets, seed, validationRows, validationSeed):
            let x = Matrix.random(rows: rows, columns: features, seed: seed)
            let y = Matrix.random(rows: rows, columns: targets, seed: seed &+ 0x9E37)
            let validation = validationRows.map {
                (
                    Matrix.random(rows: $0, columns: features, seed: validationSeed),
                    Matrix.random(rows: $0, columns: targets, seed: validationSeed &+ 0x9E37)
                )
            }
            return Prepared(x: x, y: y, validation: validation)
        case let .csv(path, targets, features, oneHot, validationPath, validationSplit, standardize):
            var train = try Dataset.loadCSV(resolve(path), targets: targets, features: features, oneHot: oneHot)
            var validation: Dataset?
            if let validationPath {
                validation = try Dataset.loadCSV(
                    resolve(validationPath), targets: targets, features: features, oneHot: oneHot)
            } else if let validationSplit {
                (train, validation) = {
                    let parts = train.split(validationFraction: validationSplit, seed: study.seed ?? 0)
                    return (parts.train, parts.validation)
                }()
            }
            if standardize {
                let stats = train.x.columnStatistics()
                train.x = train.x.standardized(mean: stats.mean, std: stats.std)
                if var held = validation {
                    held.x = held.x.standardized(mean: stats.mean, std: stats.std)
                    validation = held
                }
            }
            return Prepared(
                x: train.x, y: train.y, validation: validation.map { ($0.x, $0.y) },
                classes: oneHot ? train.targetNames : nil)
        }
    }

    /// Checks everything a search checks before it opens the journal — the data, the
    /// objective, the program a command trial runs — without opening it.
    ///
    /// - Throws: ``StudyFileError`` or `DataError`, naming the place.
    public func check() throws {
        _ = try trialBody()
    }

    /// What an attempt runs: the built-in trainer computes on the caller's thread; a command
    /// trial awaits its process.
    enum TrialBody {
        case blocking((TrialContext) throws -> TrialResult)
        case awaiting((TrialContext) async throws -> TrialResult)
    }

    /// What each attempt runs, once the study's inputs are checked, and the trial definition
    /// to journal: the study file's, with the class names one-hot targets were given, so that
    /// reports show the mapping and a changed label set is a changed definition.
    func trialBody() throws -> (body: TrialBody, definition: String) {
        switch study.trial {
        case .model(let spec):
            let data = try prepare(spec)
            var definition = study.trialDefinition
            if let classes = data.classes,
                var object = (try? JSONSerialization.jsonObject(with: Data(definition.utf8))) as? [String: Any]
            {
                object["classes"] = classes
                if let json = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                    definition = String(decoding: json, as: UTF8.self)
                }
            }
            let hasValidation = data.validation != nil || spec.validationSplit > 0
            let reported = spec.reportedMetrics(hasValidation: hasValidation)
            guard reported.contains(study.objective.name) else {
                throw StudyFileError(
                    path: study.path, field: "objective",
                    "no trial reports \"\(study.objective.name)\": this model reports " +
                        "\(reported.joined(separator: ", "))"
                )
            }
            return (.blocking({ context in try ModelTrial(spec: spec, data: data).run(context) }), definition)
        case .command(let spec):
            try spec.checkExecutable(studyPath: study.path)
            let runner = CommandTrial(
                spec: spec, studyDirectory: (study.journalPath as NSString).deletingLastPathComponent,
                verbose: verbose)
            return (.awaiting({ context in try await runner.run(context) }), study.trialDefinition)
        }
    }

    /// Checks everything, then runs or resumes the search.
    ///
    /// With a `worker` id, the search joins the study as one of its workers (section 9):
    /// other workers may search it at the same time, on this host.
    ///
    /// - Throws: ``StudyFileError`` or `DataError` before any journal is touched; the
    ///   engine's errors (a fatal trial error, `JournalError`) during the search.
    @discardableResult
    public func search(
        overwrite: Bool = false, maxTrials: Int? = nil, maxRetriesPerTrial: Int? = nil,
        maxConsecutiveFailedTrials: Int?? = nil, maxInterruptionsPerTrial: Int?? = nil,
        acceptSpaceChange: Bool = false, acceptTrialChange: Bool = false,
        worker: String? = nil
    ) async throws -> SearchOutcome {
        let (body, definition) = try trialBody()
        let tuner = try makeTuner(
            definition: definition, overwrite: overwrite, maxTrials: maxTrials,
            maxRetriesPerTrial: maxRetriesPerTrial, maxConsecutiveFailedTrials: maxConsecutiveFailedTrials,
            maxInterruptionsPerTrial: maxInterruptionsPerTrial, acceptSpaceChange: acceptSpaceChange,
            acceptTrialChange: acceptTrialChange, worker: worker)
        tuner.handlesSignals = handlesSignals
        tuner.onInterrupt = onInterrupt
        switch body {
        case .blocking(let body): return try tuner.search(body)
        case .awaiting(let body): return try await tuner.search(body)
        }
    }

    /// Checks everything and opens the study once as its one writer — creating it, migrating
    /// it, or starting it empty with `overwrite` — then lets it go, for workers to join: every
    /// error a bad input gives comes once, before any worker starts.
    ///
    /// - Throws: as `search(overwrite:…:worker:)` does.
    public func prepareForWorkers(
        overwrite: Bool = false, acceptSpaceChange: Bool = false,
        acceptTrialChange: Bool = false
    ) throws {
        let (_, definition) = try trialBody()
        let tuner = try makeTuner(
            definition: definition, overwrite: overwrite, maxTrials: nil, maxRetriesPerTrial: nil,
            maxConsecutiveFailedTrials: nil, maxInterruptionsPerTrial: nil,
            acceptSpaceChange: acceptSpaceChange, acceptTrialChange: acceptTrialChange, worker: nil)
        tuner.store.consolidate()
    }

    /// The oracle the study file names, configured as the file says.
    ///
    /// - Throws: ``SearchConfigurationError`` for a tuner a study file cannot name.
    public func oracle() throws -> any Oracle {
        switch study.tuner {
        case .gridSearch: return GridSearchOracle()
        case .randomSearch: return RandomSearchOracle()
        case .bayesianOptimization: return BayesianOptimizationOracle()
        case .hyperband:
            return HyperbandOracle(
                maxEpochs: study.maxEpochs, factor: study.factor, iterations: study.hyperbandIterations)
        default: throw SearchConfigurationError("a study file cannot name the tuner \(study.tuner)")
        }
    }

    func makeTuner(
        definition: String, overwrite: Bool, maxTrials: Int?, maxRetriesPerTrial: Int?,
        maxConsecutiveFailedTrials: Int??, maxInterruptionsPerTrial: Int??, acceptSpaceChange: Bool,
        acceptTrialChange: Bool, worker: String?
    ) throws -> Tuner {
        let oracle = try self.oracle()
        var journal = JournalOptions(
            synchronous: study.synchronous, acceptSpaceChange: acceptSpaceChange,
            acceptTrialChange: acceptTrialChange, worker: worker)
        journal.leaseSeconds = study.leaseSeconds
        let configuration = TunerConfiguration(
            directory: study.directory, projectName: study.name, maxTrials: maxTrials ?? study.maxTrials,
            maxRetriesPerTrial: maxRetriesPerTrial ?? study.maxRetriesPerTrial,
            maxConsecutiveFailedTrials: maxConsecutiveFailedTrials ?? study.maxConsecutiveFailedTrials,
            maxInterruptionsPerTrial: maxInterruptionsPerTrial ?? study.maxInterruptionsPerTrial, seed: study.seed,
            overwrite: overwrite || study.overwrite, verbose: verbose, journal: journal, store: study.store,
            trialDefinition: definition)
        return try Tuner(
            oracle: oracle, objective: study.objective,
            hyperparameters: HyperParameters(space: study.space, values: [:]),
            configuration: configuration, output: output)
    }
}

/// One attempt of a built-in model trial.
struct ModelTrial {
    let spec: ModelSpec
    let data: StudyRun.Prepared

    /// The error a `plain` constraint raises: retried like any error.
    struct ConstraintViolation: Error, CustomStringConvertible {
        var description: String
    }

    func run(_ context: TrialContext) throws -> TrialResult {
        let hp = context.hyperparameters
        // The sizes first: a model over its constraint (or over what memory holds) is refused
        // before any weight is allocated.
        var units: [Int] = []
        for case let .dense(width, _, _) in spec.layers {
            let value = try width.resolve(hp, intValue)
            guard value >= 1, value <= ModelSpec.maxUnits else {
                throw FailedTrialError("a Dense layer of \(value) units: units must be from 1 to \(ModelSpec.maxUnits)")
            }
            units.append(value)
        }
        let count = spec.parameterCount(inputs: data.x.columns, units: units)
        if let (limit, kind, message) = spec.maxParameters, count.map({ $0 > limit }) ?? true {
            let text =
                (message ?? "Model too large!")
                + " It contains \(count.map(String.init) ?? "more than \(Int.max)") params."
            switch kind {
            case .plain: throw ConstraintViolation(description: text)
            case .failed: throw FailedTrialError(text)
            case .fatal: throw FatalError(text)
            }
        }
        guard let count, count <= ModelSpec.maxModelParameters else {
            throw FailedTrialError(
                "the model would have \(count.map(String.init) ?? "more than \(Int.max)") parameters, more than the " +
                    "\(ModelSpec.maxModelParameters) the built-in trainer holds"
            )
        }
        var layers: [any Layer] = []
        var first = true
        var index = 0
        for layer in spec.layers {
            switch layer {
            case let .dense(_, activation, useBias):
                let name = try activation.resolve(hp, stringValue)
                guard let act = Activation(rawValue: name) else { throw FailedTrialError("unknown activation \(name)") }
                layers.append(
                    Dense(units[index], activation: act, inputSize: first ? data.x.columns : nil, useBias: useBias))
                index += 1
                first = false
            case let .dropout(rate):
                let value = try rate.resolve(hp, doubleValue)
                guard value >= 0, value < 1 else {
                    throw FailedTrialError("a dropout rate must be in [0, 1), got \(value)")
                }
                layers.append(Dropout(value))
            }
        }
        let model = try Sequential(layers, inputSize: data.x.columns)
        let learningRate = try spec.learningRate?.resolve(hp, doubleValue)
        switch try spec.optimizer.resolve(hp, stringValue) {
        case "sgd":
            model.compile(
                optimizer: .sgd(
                    learningRate: learningRate ?? 0.01, momentum: try spec.momentum?.resolve(hp, doubleValue) ?? 0),
                loss: spec.loss, metrics: spec.metrics)
        default:
            model.compile(optimizer: .adam(learningRate: learningRate ?? 1e-3), loss: spec.loss, metrics: spec.metrics)
        }
        model.fitConfiguration = FitConfiguration(
            batchSize: try spec.batchSize.resolve(hp, intValue), shuffle: spec.shuffle,
            validationSplit: spec.validationSplit, earlyStopping: spec.earlyStopping,
            terminateOnNaN: spec.terminateOnNaN)
        // Through the engine's conformance: weights from the trial seed, Hyperband's epochs and
        // parent weights, the progress line.
        return try model.fit(
            x: data.x, y: data.y, validationData: data.validation,
            epochs: try spec.epochs.resolve(hp, intValue), context: context)
    }
}
