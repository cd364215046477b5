import TunerCore
import TunerJournal

/// A tuner that builds a model for each trial with a hypermodel and trains it with the
/// arguments of `search`, as KerasTuner's tuners do.
///
/// ```swift
/// let tuner = try HyperModelTuner(oracle: GridSearchOracle(), hypermodel: buildModel, objective: "val_loss")
/// try tuner.search(x: x, y: y, validationData: (xVal, yVal), epochs: 10)
/// ```
public class HyperModelTuner<Model: FittableModel>: Tuner {
    /// Builds the model of a trial from its hyperparameters.
    public let hypermodel: (HyperParameters) throws -> Model

    /// Makes the tuner: the search space is discovered by building the model with the
    /// defaults, and once more for each value of every parent of a conditional scope.
    ///
    /// See ``Tuner/init(oracle:objective:hyperparameters:configuration:output:)`` for the
    /// other parameters.
    public init(
        oracle: any Oracle, hypermodel: @escaping (HyperParameters) throws -> Model, objective: Objective,
        hyperparameters: HyperParameters = HyperParameters(),
        configuration: TunerConfiguration = TunerConfiguration(),
        output: any SearchOutput = StandardOutput()
    ) throws {
        self.hypermodel = hypermodel
        let discovered = try Self.discoverSpace(hypermodel, initial: hyperparameters)
        try super.init(
            oracle: oracle, objective: objective, hyperparameters: discovered, configuration: configuration,
            output: output)
    }

    /// Makes the tuner with its kind's oracle (``defaultOracle()``): `GridSearch` searches a
    /// grid, `RandomSearch` draws at random.
    public convenience init(
        hypermodel: @escaping (HyperParameters) throws -> Model, objective: Objective,
        hyperparameters: HyperParameters = HyperParameters(),
        configuration: TunerConfiguration = TunerConfiguration(),
        output: any SearchOutput = StandardOutput()
    ) throws {
        try self.init(
            oracle: Self.defaultOracle(), hypermodel: hypermodel, objective: objective,
            hyperparameters: hyperparameters, configuration: configuration, output: output)
    }

    /// The oracle of a tuner made without one: random search, unless a subclass says otherwise.
    public class func defaultOracle() -> any Oracle { RandomSearchOracle() }

    /// Runs (or resumes) the search: each attempt builds the model and fits it.
    ///
    /// - Throws: a trial's fatal error after it is journaled, and the other errors of
    ///   ``Tuner/search(_:)``.
    @discardableResult
    public func search(
        x: Model.Features, y: Model.Targets, validationData: (Model.Features, Model.Targets)? = nil,
        epochs: Int = 1
    ) throws -> SearchOutcome {
        let hypermodel = self.hypermodel
        return try search { context in
            let model = try hypermodel(context.hyperparameters)
            return try model.fit(x: x, y: y, validationData: validationData, epochs: epochs, context: context)
        }
    }

    /// Builds the model with the defaults to register the hyperparameters, then with each
    /// value of every Choice or Boolean that conditions others, until no new one appears.
    /// Errors other than usage errors are ignored here: trial 0 reports them.
    static func discoverSpace(
        _ hypermodel: (HyperParameters) throws -> Model,
        initial: HyperParameters
    ) throws -> HyperParameters {
        var space = initial.space
        // Each build registers in its own order; a definition it finds first is placed after the
        // one registered just before it, so the space keeps KerasTuner's registration order,
        // conditional scopes included (SEMANTICS section 7, E-32).
        func build(_ values: [String: HyperParameterValue]) throws {
            let hp = HyperParameters(space: space, values: values)
            do { _ = try hypermodel(hp) } catch let error as HyperParameterError { throw error } catch {}
            var predecessor: String?
            for name in hp.requestOrder {
                guard let definition = hp.space[name] else { continue }
                try space.insert(definition, after: predecessor)
                predecessor = name
            }
            for definition in hp.space.definitions { try space.add(definition) }
        }
        try build([:])
        var explored = Set<[String: HyperParameterValue]>()
        for _ in 0..<16 {
            let before = space.definitions.count
            let parents = Set(space.definitions.flatMap { $0.conditions.map(\.parent) })
            for parent in space.definitions where parents.contains(parent.name) {
                for value in parent.orderedValues {
                    var values = space.defaults
                    values[parent.name] = value
                    guard explored.insert(values).inserted else { continue }
                    try build(values)
                }
            }
            if space.definitions.count == before { break }
        }
        return HyperParameters(space: space, values: [:])
    }
}

/// KerasTuner's GridSearch with a hypermodel: every configuration of the grid in
/// KerasTuner's order (S32), resumable.
///
/// ```swift
/// let configuration = TunerConfiguration(maxRetriesPerTrial: 3, maxConsecutiveFailedTrials: 8, overwrite: true)
/// let tuner = try GridSearch(hypermodel: buildModel, objective: "val_loss", configuration: configuration)
/// try tuner.search(x: x, y: y, validationData: (xVal, yVal), epochs: 10)
/// try tuner.resultsSummary()
/// ```
public final class GridSearch<Model: FittableModel>: HyperModelTuner<Model> {
    /// The grid of the search space.
    override public class func defaultOracle() -> any Oracle { GridSearchOracle() }
}

/// KerasTuner's RandomSearch with a hypermodel: seeded draws, never a configuration twice (S33).
///
/// ```swift
/// let tuner = try RandomSearch(hypermodel: buildModel, objective: "val_loss",
///                              configuration: TunerConfiguration(maxTrials: 20, seed: 1))
/// ```
public final class RandomSearch<Model: FittableModel>: HyperModelTuner<Model> {
    /// The random draws, 10 trials unless `maxTrials` says otherwise.
    override public class func defaultOracle() -> any Oracle { RandomSearchOracle() }
}

/// KerasTuner's BayesianOptimization with a hypermodel, failure-aware
/// (``BayesianOptimizationOracle``).
///
/// ```swift
/// let tuner = try BayesianOptimization(hypermodel: buildModel, objective: "val_loss",
///                                      configuration: TunerConfiguration(maxTrials: 30, seed: 1))
/// ```
public final class BayesianOptimization<Model: FittableModel>: HyperModelTuner<Model> {
    /// Makes a Bayesian optimization (10 trials unless `maxTrials` says otherwise); see
    /// ``HyperModelTuner`` for the parameters.
    public init(
        hypermodel: @escaping (HyperParameters) throws -> Model, objective: Objective,
        hyperparameters: HyperParameters = HyperParameters(),
        numInitialPoints: Int? = nil, alpha: Double = 1e-4, beta: Double = 2.6,
        configuration: TunerConfiguration = TunerConfiguration(),
        output: any SearchOutput = StandardOutput()
    ) throws {
        try super.init(
            oracle: BayesianOptimizationOracle(numInitialPoints: numInitialPoints, alpha: alpha, beta: beta),
            hypermodel: hypermodel, objective: objective,
            hyperparameters: hyperparameters, configuration: configuration, output: output)
    }
}

/// KerasTuner's Hyperband with a hypermodel, failure-aware (``HyperbandOracle``): `search`'s
/// `epochs` is ignored; each trial trains up to its `tuner/epochs`, a promoted one continuing
/// from its parent's weights (with the built-in trainer).
///
/// ```swift
/// let tuner = try Hyperband(hypermodel: buildModel, objective: "val_loss", maxEpochs: 27, factor: 3,
///                           configuration: TunerConfiguration(seed: 1))
/// ```
public final class Hyperband<Model: FittableModel>: HyperModelTuner<Model> {
    /// Makes a Hyperband search; see ``HyperModelTuner`` for the other parameters.
    public init(
        hypermodel: @escaping (HyperParameters) throws -> Model, objective: Objective,
        hyperparameters: HyperParameters = HyperParameters(),
        maxEpochs: Int = 100, factor: Int = 3, hyperbandIterations: Int = 1,
        configuration: TunerConfiguration = TunerConfiguration(),
        output: any SearchOutput = StandardOutput()
    ) throws {
        try super.init(
            oracle: HyperbandOracle(maxEpochs: maxEpochs, factor: factor, iterations: hyperbandIterations),
            hypermodel: hypermodel, objective: objective,
            hyperparameters: hyperparameters, configuration: configuration, output: output)
    }
}
