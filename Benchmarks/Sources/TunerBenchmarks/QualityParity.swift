import Foundation
import SwiftTuner

/// The repository's root, from this file's place in it (Benchmarks/Sources/TunerBenchmarks/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// Writes a dataset as a headerless CSV of features then targets, for the Python peers.
func writeCSV(_ x: Matrix, _ y: Matrix, to path: String) throws {
    var text = ""
    for r in 0..<x.rows {
        text += (Array(x.row(r)) + Array(y.row(r))).map { String($0) }.joined(separator: ",") + "\n"
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Trains the same architecture for the same epochs as scikit-learn on the shipped datasets
/// and compares validation losses (median over seeds).
func qualityParity(_ options: TrainerOptions, results: BenchmarkResults) throws {
    let work = (NSTemporaryDirectory() as NSString).appendingPathComponent("swifttuner-parity-\(getpid())")
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: work) }
    print(
        "\nquality parity (validation loss, median of \(options.seeds) seeds; same split, architecture, epochs, " +
            "batch 32, Adam 1e-3):"
    )

    struct Task {
        var name: String, dataset: String, hidden: [Int], epochs: Int, loss: Loss, kind: String
    }
    let tasks = [
        Task(
            name: "diabetes regression (val MSE, standardized target)", dataset: "diabetes",
            hidden: [64, 32], epochs: 100, loss: .meanSquaredError, kind: "regression"),
        Task(
            name: "iris classification (val cross-entropy)", dataset: "iris",
            hidden: [32], epochs: 200, loss: .categoricalCrossentropy, kind: "classification"),
    ]
    for task in tasks {
        // The same split and standardization as the tuners' MLP benchmark.
        let data = try MLPProblem(task.dataset)
        let (trainX, trainY, validationX, validationY) = (data.trainX, data.trainY, data.validationX, data.validationY)
        var ours: [Double] = []
        for seed in 0..<options.seeds {
            let hidden = task.hidden.enumerated().map { i, u in
                Dense(u, activation: .relu, inputSize: i == 0 ? trainX.columns : nil)
            }
            let output = Dense(trainY.columns, activation: data.classification ? .softmax : .linear)
            let model = try Sequential(hidden + [output])
            model.compile(optimizer: .adam(), loss: task.loss)
            try model.fit(x: trainX, y: trainY, batchSize: 32, epochs: task.epochs, seed: UInt64(seed))
            ours.append(try model.evaluate(x: validationX, y: validationY)["loss"] ?? .nan)
        }
        results.record("parity_swifttuner_\(task.dataset)", median(ours))
        var line = "  " + pad(task.name, 52) + String(format: "SwiftTuner %.4f", median(ours))
        if let python = options.python {
            let trainPath = (work as NSString).appendingPathComponent("\(task.dataset).train")
            let validationPath = (work as NSString).appendingPathComponent("\(task.dataset).validation")
            try writeCSV(trainX, trainY, to: trainPath)
            try writeCSV(validationX, validationY, to: validationPath)
            if let result = runPeer(
                python, "mlp_peers.py",
                [
                    "parity", task.kind, trainPath, validationPath,
                    task.hidden.map(String.init).joined(separator: ","),
                    "\(task.epochs)", "\(options.seeds)", "\(trainY.columns)",
                ]),
                let theirs = result["median"] as? Double
            {
                results.record("parity_sklearn_\(task.dataset)", theirs)
                line += String(
                    format: "   scikit-learn %.4f   (SwiftTuner / scikit-learn = %.3f)", theirs, median(ours) / theirs)
            }
        }
        print(line)
    }
}
