import Foundation
import SwiftTuner

/// `TunerBenchmarks tuners [--python PYTHON] [--seeds N] [--trials N] [--part functions|mlp|all]
/// [--max-epochs N]`: our tuners against Optuna's TPE and KerasTuner's, on Branin and Hartmann-6
/// with a region that fails, and tuning the built-in MLP on the shipped datasets.
func runTunerBenchmark(
    python: String?, seeds: Int, trials: Int, part: String, maxEpochs: Int,
    results: BenchmarkResults
) throws {
    if part == "all" || part == "functions" {
        try runFunctionBenchmark(python: python, seeds: seeds, trials: trials, results: results)
    }
    if part == "all" || part == "mlp" {
        try runMLPTuningBenchmark(
            python: python, seeds: seeds, trials: trials, maxEpochs: maxEpochs,
            results: results)
    }
}

/// The test-function half of `TunerBenchmarks tuners`.
func runFunctionBenchmark(python: String?, seeds: Int, trials: Int, results: BenchmarkResults) throws {
    let checkpoints = [20, 50, 100].filter { $0 <= trials }
    let functions: [(String, [(String, Double, Double)], ([String: Double]) throws -> Double)] = [
        (
            "branin", [("x", -5, 10), ("y", 0, 15)],
            { v in
                let x = v["x"]!, y = v["y"]!
                if x > 5 { throw FailedTrialError("failing region") }
                let b = 5.1 / (4 * Double.pi * Double.pi), c = 5 / Double.pi, t = 1 / (8 * Double.pi)
                return pow(y - b * x * x + c * x - 6, 2) + 10 * (1 - t) * cos(x) + 10
            }
        ),
        (
            "hartmann6", (0..<6).map { ("x\($0)", 0, 1) },
            { v in
                let x = (0..<6).map { v["x\($0)"]! }
                if x[0] > 0.75 { throw FailedTrialError("failing region") }
                return hartmann6(x)
            }
        ),
    ]
    var rows: [(String, String, [Double], Double)] = []
    let work = (NSTemporaryDirectory() as NSString).appendingPathComponent("swifttuner-hpo-\(getpid())")
    defer { try? FileManager.default.removeItem(atPath: work) }
    for (method, makeOracle) in [
        ("SwiftTuner RandomSearch", { RandomSearchOracle() as any Oracle }),
        ("SwiftTuner BayesianOptimization", { BayesianOptimizationOracle() as any Oracle }),
    ] {
        for (name, bounds, function) in functions {
            var bests: [[Double]] = [], failures: [Double] = []
            for seed in 0..<seeds {
                let hp = HyperParameters()
                for (key, low, high) in bounds { try hp.float(key, min: low, max: high) }
                let tuner = try Tuner(
                    oracle: makeOracle(), objective: "val_loss", hyperparameters: hp,
                    configuration: TunerConfiguration(
                        directory: work, projectName: "\(name)-\(seed)", maxTrials: trials,
                        maxConsecutiveFailedTrials: nil, seed: UInt64(seed), overwrite: true, verbose: 0,
                        journal: JournalOptions(synchronous: .normal)),
                    output: CapturedOutput())
                tuner.handlesSignals = false
                try tuner.search { context in
                    var values: [String: Double] = [:]
                    for (key, _, _) in bounds { values[key] = context.hyperparameters[key]?.doubleValue ?? 0 }
                    return TrialResult(metrics: ["val_loss": try function(values)])
                }
                var best = Double.infinity, curve: [Double] = []
                for trial in try tuner.journal.trials() {
                    if trial.status == .completed, let s = trial.score { best = min(best, s) }
                    curve.append(best)
                }
                bests.append(curve)
                failures.append(Double(try tuner.journal.trials().filter { $0.status == .failed }.count))
            }
            let medians = checkpoints.map { n in median(bests.map { $0[min(n, $0.count) - 1] }) }
            rows.append((method, name, medians, median(failures)))
        }
    }
    if let python, let peers = runPeer(python, "hpo_functions.py", ["\(seeds)", "\(trials)"]) {
        for (method, value) in peers.sorted(by: { $0.key < $1.key }) {
            guard let byFunction = value as? [String: Any] else { continue }
            for (name, _, _) in functions {
                guard let entry = byFunction[name] as? [String: Any] else { continue }
                if let error = entry["error"] as? String { print("  \(method) on \(name): \(error)"); continue }
                let best = entry["best"] as? [String: Double] ?? [:]
                rows.append(
                    (method, name, checkpoints.map { best[String($0)] ?? .nan }, entry["failed"] as? Double ?? .nan))
            }
        }
    }
    print(
        "\nTest functions with a failing region (Branin: x > 5; Hartmann-6: x0 > 0.75), \(seeds) seeds × \(trials) " +
            "trials;"
    )
    print(
        "median best value after \(checkpoints.map(String.init).joined(separator: " / ")) trials, median failed " +
            "trials (wasted attempts)"
    )
    for name in ["branin", "hartmann6"] {
        print("\n  \(name) (optimum \(name == "branin" ? "0.3979" : "-3.3224"))")
        for row in rows where row.1 == name {
            results.record("\(name)_\(row.0)_best", row.2.last ?? .nan)
            results.record("\(name)_\(row.0)_failed", row.3)
            print(
                "  " + pad(row.0, 40) + row.2.map { pad(String(format: "%.4f", $0), 10) }.joined()
                    + String(format: "failed %.1f", row.3))
        }
    }
}
