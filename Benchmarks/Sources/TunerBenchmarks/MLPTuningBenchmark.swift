import Foundation
import SwiftTuner

/// The tuned problem of the MLP half of `TunerBenchmarks tuners`: the built-in MLP on a shipped
/// dataset, two hidden ReLU layers and Adam's learning rate to choose; models over
/// ``maxParameters`` fail ("model too large", as in the guide), a region where the best models lie
/// close by. Every tuner, ours and the Python peers, trains through this one type, so they
/// optimize the same function at the same cost.
struct MLPProblem {
    /// The dataset's name (`diabetes` or `iris`).
    let name: String
    let trainX: Matrix, trainY: Matrix, validationX: Matrix, validationY: Matrix
    let classification: Bool
    /// Models with more parameters fail.
    static let maxParameters = 20_000

    /// Loads a shipped dataset, split 80/20 and standardized with the training part's statistics
    /// (the quality-parity benchmark trains on the same data).
    init(_ name: String) throws {
        let classification = name == "iris"
        let data = try Dataset.loadCSV(
            repositoryRoot.appendingPathComponent("Fixtures/data/\(name).csv").path,
            targets: [classification ? "species" : "progression"], oneHot: classification)
        let (train, validation) = data.split(validationFraction: 0.2, seed: 7)
        let xs = train.x.columnStatistics()
        trainX = train.x.standardized(mean: xs.mean, std: xs.std)
        validationX = validation.x.standardized(mean: xs.mean, std: xs.std)
        if classification {
            trainY = train.y
            validationY = validation.y
        } else {
            let ys = train.y.columnStatistics()
            trainY = train.y.standardized(mean: ys.mean, std: ys.std)
            validationY = validation.y.standardized(mean: ys.mean, std: ys.std)
        }
        self.name = name
        self.classification = classification
    }

    /// The search space: `units_1`, `units_2` in 8–512 (log) and `learning_rate` in 1e-4–1e-1 (log).
    static func space() throws -> HyperParameters {
        let hp = HyperParameters()
        try hp.int("units_1", min: 8, max: 512, sampling: .log)
        try hp.int("units_2", min: 8, max: 512, sampling: .log)
        try hp.float("learning_rate", min: 1e-4, max: 1e-1, sampling: .log)
        return hp
    }

    /// Trains a model of these hyperparameters for `epochs` epochs, from `weights` when given
    /// (a promoted Hyperband trial), and returns its validation loss and final weights.
    ///
    /// - Throws: ``FailedTrialError`` for a model over ``maxParameters``.
    func train(
        units1: Int, units2: Int, learningRate: Double, epochs: Int, from weights: [(w: [Float], b: [Float])]?,
        seed: UInt64
    ) throws -> (loss: Double, weights: [(w: [Float], b: [Float])]) {
        let model = try Sequential(
            [
                Dense(units1, activation: .relu, inputSize: trainX.columns),
                Dense(units2, activation: .relu),
                Dense(trainY.columns, activation: classification ? .softmax : .linear),
            ], seed: seed)
        guard model.parameterCount <= Self.maxParameters else {
            throw FailedTrialError("model too large: \(model.parameterCount) parameters")
        }
        model.compile(
            optimizer: .adam(learningRate: learningRate),
            loss: classification ? .categoricalCrossentropy : .meanSquaredError)
        if let weights { try model.setWeights(weights) }
        try model.fit(x: trainX, y: trainY, batchSize: 32, epochs: epochs)  // shuffles from the model's seed
        let loss = try model.evaluate(x: validationX, y: validationY)["loss"] ?? .nan
        return (loss.isFinite ? loss : 1e9, model.weights)
    }
}

/// One run of a tuner on the MLP problem: the best validation loss after each trial, with the
/// epochs spent so far, and how many trials failed.
struct MLPRun {
    var curve: [(epochs: Int, best: Double)] = []
    var failed = 0

    /// The best loss once `budget` epochs are spent (the last point within it).
    func best(within budget: Int) -> Double {
        curve.last(where: { $0.epochs <= budget })?.best ?? .infinity
    }
}

/// Runs our RandomSearch, BayesianOptimization and Hyperband on the MLP problem.
func runMLPTuners(_ problem: MLPProblem, seeds: Int, trials: Int, maxEpochs: Int, work: String) throws -> [(
    String, [MLPRun]
)] {
    let budget = trials * maxEpochs
    struct BudgetSpent: FatalSearchError {}
    var results: [(String, [MLPRun])] = []
    let methods: [(String, () -> any Oracle, Int?)] = [
        ("SwiftTuner RandomSearch", { RandomSearchOracle() }, trials),
        ("SwiftTuner BayesianOptimization", { BayesianOptimizationOracle() }, trials),
        ("SwiftTuner Hyperband", { HyperbandOracle(maxEpochs: maxEpochs, factor: 3, iterations: 100) }, nil),
    ]
    for (method, makeOracle, maxTrials) in methods {
        var runs: [MLPRun] = []
        for seed in 0..<seeds {
            var run = MLPRun(), spent = 0, best = Double.infinity
            var store: [String: [(w: [Float], b: [Float])]] = [:]
            let tuner = try Tuner(
                oracle: makeOracle(), objective: "val_loss",
                hyperparameters: try MLPProblem.space(),
                configuration: TunerConfiguration(
                    directory: work, projectName: "mlp-\(problem.name)-\(method.split(separator: " ").last!)-\(seed)",
                    maxTrials: maxTrials, maxConsecutiveFailedTrials: nil, seed: UInt64(seed), overwrite: true,
                    verbose: 0, journal: JournalOptions(synchronous: .normal)),
                output: CapturedOutput())
            tuner.handlesSignals = false
            do {
                try tuner.search { context in
                    let hp = context.hyperparameters
                    var epochs = maxEpochs, initial = 0
                    if case .int(let e) = hp["tuner/epochs"] { epochs = e }
                    if case .int(let i) = hp["tuner/initial_epoch"] { initial = i }
                    var parent: [(w: [Float], b: [Float])]?
                    if case .string(let id) = hp["tuner/trial_id"] { parent = store[id] }
                    if parent == nil { initial = 0 }
                    // An attempt costs the epochs it asks for, failed or not.
                    guard spent + (epochs - initial) <= budget else { throw BudgetSpent() }
                    spent += epochs - initial
                    do {
                        let (loss, weights) = try problem.train(
                            units1: Int(hp["units_1"]?.doubleValue ?? 8), units2: Int(hp["units_2"]?.doubleValue ?? 8),
                            learningRate: hp["learning_rate"]?.doubleValue ?? 1e-3, epochs: epochs - initial,
                            from: parent, seed: UInt64(seed))
                        if hp["tuner/epochs"] != nil { store[context.trialID] = weights }
                        best = min(best, loss)
                        run.curve.append((spent, best))
                        return TrialResult(metrics: ["val_loss": loss])
                    } catch let error as FailedTrialError {
                        run.failed += 1
                        run.curve.append((spent, best))
                        throw error
                    }
                }
            } catch is BudgetSpent {}
            runs.append(run)
        }
        results.append((method, runs))
    }
    return results
}

/// `TunerBenchmarks mlp-objective DATASET SEED`: the MLP problem as a service for the Python
/// peers. Reads one JSON object a line (`id`, `units_1`, `units_2`, `learning_rate`, `epochs`,
/// optionally `parent`, the id of a trial whose weights to continue from) and answers
/// `{"val_loss": …}` or `{"failed": "…"}`.
func serveMLPObjective(dataset: String, seed: UInt64) throws {
    let problem = try MLPProblem(dataset)
    var store: [String: [(w: [Float], b: [Float])]] = [:]
    while let line = readLine() {
        guard let request = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
        let id = request["id"] as? String ?? ""
        var answer: [String: Any] = [:]
        do {
            let (loss, weights) = try problem.train(
                units1: (request["units_1"] as? NSNumber)?.intValue ?? 8,
                units2: (request["units_2"] as? NSNumber)?.intValue ?? 8,
                learningRate: (request["learning_rate"] as? NSNumber)?.doubleValue ?? 1e-3,
                epochs: (request["epochs"] as? NSNumber)?.intValue ?? 1,
                from: (request["parent"] as? String).flatMap { store[$0] }, seed: seed)
            store[id] = weights
            answer["val_loss"] = loss
        } catch {
            answer["failed"] = "\(error)"
        }
        let data = try JSONSerialization.data(withJSONObject: answer)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

/// The MLP half of `TunerBenchmarks tuners`: ours and the Python peers on each shipped dataset;
/// prints the median best validation loss within the epoch budgets of 20, 50 and 100 full
/// trials (an attempt costs the epochs it asks for, failed or not: a full trial `maxEpochs`, a
/// Hyperband trial its round's), and the median numbers of failed trials and of attempts.
func runMLPTuningBenchmark(python: String?, seeds: Int, trials: Int, maxEpochs: Int, results: BenchmarkResults) throws {
    let work = (NSTemporaryDirectory() as NSString).appendingPathComponent("swifttuner-mlp-\(getpid())")
    defer { try? FileManager.default.removeItem(atPath: work) }
    let checkpoints = [20, 50, 100].filter { $0 <= trials }
    print("\nThe built-in MLP on the shipped datasets (units_1, units_2 in 8–512 log, learning rate 1e-4–1e-1 log;")
    print("models over \(MLPProblem.maxParameters) parameters fail), \(seeds) seeds, \(maxEpochs) epochs a full trial;")
    print(
        "median best validation loss within the epochs of \(checkpoints.map(String.init).joined(separator: " / ")) " +
            "full trials, median failed trials and attempts"
    )
    for name in ["diabetes", "iris"] {
        let problem = try MLPProblem(name)
        var rows: [(String, [Double], Double, Double)] = []
        for (method, runs) in try runMLPTuners(problem, seeds: seeds, trials: trials, maxEpochs: maxEpochs, work: work)
        {
            rows.append(
                (
                    method, checkpoints.map { n in median(runs.map { $0.best(within: n * maxEpochs) }) },
                    median(runs.map { Double($0.failed) }), median(runs.map { Double($0.curve.count) })
                ))
        }
        if let python,
            let peers = runPeer(
                python, "mlp_tuners.py", [CommandLine.arguments[0], name, "\(seeds)", "\(trials)", "\(maxEpochs)"])
        {
            for (method, value) in peers.sorted(by: { $0.key < $1.key }) {
                guard let entry = value as? [String: Any] else { continue }
                if let error = entry["error"] as? String { print("  \(method): \(error)"); continue }
                let best = entry["best"] as? [String: Double] ?? [:]
                rows.append(
                    (
                        method, checkpoints.map { best[String($0)] ?? .nan }, entry["failed"] as? Double ?? .nan,
                        entry["attempts"] as? Double ?? .nan
                    ))
            }
        }
        print("\n  \(name) (validation \(problem.classification ? "cross-entropy" : "MSE, standardized target"))")
        for row in rows {
            results.record("mlp_\(name)_\(row.0)_best", row.1.last ?? .nan)
            print(
                "  " + pad(row.0, 40) + row.1.map { pad(String(format: "%.4f", $0), 10) }.joined()
                    + String(format: "failed %.1f of %.0f attempts", row.2, row.3))
        }
    }
}
