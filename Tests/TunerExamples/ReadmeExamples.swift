import Foundation
import SwiftTuner

// The README's Swift examples, as written (ExamplesTests checks that every line of each one
// stands here, in order). Each runs in the current folder, as a user's program would.

/// The model of the README's first example: any `FittableModel` will do; this one's loss
/// curve is a seeded function of its size.
public struct MyModel: FittableModel {
    /// The units of each Dense layer, then the one-unit output.
    public var layers: [Int]
    /// The number of input features.
    public var inputSize: Int

    /// Makes a model of `units` Dense layers and a one-unit output layer.
    public init(units: [Int], inputSize: Int) {
        layers = units + [1]
        self.inputSize = inputSize
    }

    /// Weights and biases, as Keras' `count_params()`.
    public var parameterCount: Int {
        zip([inputSize] + layers, layers).reduce(0) { total, layer in total + layer.0 * layer.1 + layer.1 }
    }

    /// A decreasing loss curve of `epochs` epochs, seeded by the trial.
    public func fit(x: [[Double]], y: [[Double]], validationData: ([[Double]], [[Double]])?, epochs: Int,
                    context: TrialContext) throws -> TrialResult {
        var rng = SplitMix64(seed: context.seed)
        var loss = 0.5 + 0.1 * rng.nextDouble()
        return TrialResult(history: (0..<max(1, epochs)).map { _ in
            loss *= 0.8 + 0.1 * rng.nextDouble()
            return ["loss": loss, "val_loss": loss * 1.1]
        })
    }
}

/// The README's first example: the guide's scenario with a plain error, retried.
public func readmeGuideExample() throws {
    let x = randomRows(100, 20, seed: 0), y = randomRows(100, 1, seed: 1)
    let xVal = randomRows(100, 20, seed: 2), yVal = randomRows(100, 1, seed: 3)

    func buildModel(_ hp: HyperParameters) throws -> MyModel {
        let units1 = try hp.int("units_1", min: 10, max: 40, step: 10)
        let units2 = try hp.int("units_2", min: 10, max: 30, step: 10)
        let model = MyModel(units: [units1, units2], inputSize: 20)
        if model.parameterCount > 1200 {
            throw ValueError("Model too large! It contains \(model.parameterCount) params.")   // retried
            // throw FailedTrialError("…")   // failed at once, no retry
            // throw FatalError("…")         // the search stops, the error reaches the caller
        }
        return model
    }

    let configuration = TunerConfiguration(maxRetriesPerTrial: 3, maxConsecutiveFailedTrials: 8, overwrite: true)
    let tuner = try GridSearch(hypermodel: buildModel, objective: "val_loss",   // direction inferred: min
                               configuration: configuration)
    try tuner.search(x: x, y: y, validationData: (xVal, yVal), epochs: 10)
    try tuner.resultsSummary()
}

/// The README's second example: a trial body instead of a hypermodel.
public func readmeTrialBodyExample() throws -> SearchOutcome {
    let hp = HyperParameters()
    try hp.float("learning_rate", min: 1e-4, max: 1e-1, sampling: .log)
    try hp.choice("activation", ["relu", "tanh"])
    let tuner = try Tuner(oracle: RandomSearchOracle(), objective: "val_loss", hyperparameters: hp,
                          configuration: TunerConfiguration(maxTrials: 50, maxRetriesPerTrial: 1, seed: 7))
    let outcome = try tuner.search { context in
        // context.trialID ("0007"), context.seed (the trial seed), context.retry, context.hyperparameters
        // history: [["loss": …, "val_loss": …], …], one entry per epoch
        TrialResult(history: try train(context.hyperparameters, seed: context.seed))
    }
    print(outcome.stopReason)   // completed, consecutiveFailures, …
    return outcome
}

/// Trains elsewhere and awaits the result: here, the local stand-in after a pause.
func trainRemotely(_ hp: HyperParameters, seed: UInt64) async throws -> [[String: Double]] {
    try await Task.sleep(nanoseconds: 1_000_000)
    return try train(hp, seed: seed)
}

/// The README's asynchronous trial body.
public func readmeAsyncTrialBodyExample() async throws -> SearchOutcome {
    let hp = HyperParameters()
    try hp.float("learning_rate", min: 1e-4, max: 1e-1, sampling: .log)
    let tuner = try Tuner(oracle: RandomSearchOracle(), objective: "val_loss", hyperparameters: hp,
                          configuration: TunerConfiguration(maxTrials: 5, seed: 7))
    let outcome = try await tuner.search { context in
        let history = try await trainRemotely(context.hyperparameters, seed: context.seed)
        return TrialResult(history: history)
    }
    return outcome
}

/// The documentation's many-workers example: one worker of a shared study.
public func workerExample(_ hp: HyperParameters) throws {
    var configuration = TunerConfiguration(projectName: "shared", maxTrials: 200, seed: 7)
    configuration.journal.worker = ProcessInfo.processInfo.environment["WORKER_ID"] ?? "worker-\(getpid())"
    let worker = try Tuner(oracle: RandomSearchOracle(), objective: "val_loss", hyperparameters: hp,
                           configuration: configuration)
    try worker.search { context in TrialResult(history: try train(context.hyperparameters, seed: context.seed)) }
}

/// The documentation's many-hosts example: one worker of a study kept in PostgreSQL.
public func postgresWorkerExample(_ hp: HyperParameters, url: String) throws {
    var configuration = TunerConfiguration(projectName: "shared", maxTrials: 20, seed: 7)
    configuration.store = url                   // "postgresql://tuner@db.example/studies"
    configuration.journal.leaseSeconds = 10     // silent longer: found dead, its trial re-run
    let worker = try Tuner(oracle: RandomSearchOracle(), objective: "val_loss", hyperparameters: hp,
                           configuration: configuration)
    try worker.search { context in TrialResult(history: try train(context.hyperparameters, seed: context.seed)) }
}

/// The README's reports example, on the journal of `.tuner/seed-guide-tolerate`.
public func readmeReportsExample() throws {
    let journal = try StudyJournal.openForReading(at: ".tuner/seed-guide-tolerate/journal.sqlite")
    let snapshot = try StudySnapshot(journal: journal)
    try JUnitReport(snapshots: [snapshot]).document().write(to: URL(fileURLWithPath: "junit.xml"))
    try HTMLReport(snapshot: snapshot).render().write(toFile: "report.html", atomically: true, encoding: .utf8)
    print(try journal.resultsSummary())                 // KerasTuner's results_summary layout
}

/// The README's trainer example.
public func readmeTrainerExample() throws -> (valLoss: [Double], parameters: Int) {
    let x = Matrix.random(rows: 100, columns: 20, seed: 1), y = Matrix.random(rows: 100, columns: 1, seed: 2)
    let xv = Matrix.random(rows: 50, columns: 20, seed: 3), yv = Matrix.random(rows: 50, columns: 1, seed: 4)
    let model = try Sequential([
        Dense(30, inputSize: 20),             // Keras: Dense(30, input_shape=(20,)); linear by default
        Dense(20, activation: .relu),
        Dropout(0.1),
        Dense(1),
    ])
    model.compile(optimizer: .adam(), loss: .meanSquaredError, metrics: [.meanAbsoluteError])
    let history = try model.fit(x: x, y: y, batchSize: 32, epochs: 10, validationData: (xv, yv),
                                earlyStopping: EarlyStopping(patience: 3, restoreBestWeights: true), seed: 7)
    let valLoss = history["val_loss"]     // per-epoch values; the engine journals them as learning curves
    let parameters = model.parameterCount // 1271, as Keras' count_params()
    return (valLoss, parameters)
}

/// The user's training function of the second example: a loss curve that depends on the
/// learning rate.
func train(_ hp: HyperParameters, seed: UInt64) throws -> [[String: Double]] {
    let rate = hp["learning_rate"]?.doubleValue ?? 0.01
    var rng = SplitMix64(seed: seed)
    return (1...5).map { epoch in
        let loss = abs(log10(rate) + 2) / Double(epoch) + 0.01 * rng.nextDouble()
        return ["loss": loss, "val_loss": loss * 1.05]
    }
}

/// Rows of uniform random numbers.
func randomRows(_ rows: Int, _ columns: Int, seed: UInt64) -> [[Double]] {
    var rng = SplitMix64(seed: seed)
    return (0..<rows).map { _ in (0..<columns).map { _ in rng.nextDouble() } }
}
