import Foundation
import SwiftTuner

/// `TunerBenchmarks proposals [--sizes 50,200,500,1000]`: how long BayesianOptimization takes to
/// propose trial N after N trials, against Optuna's GPSampler and TPESampler given the same
/// history. The history: random points in [0, 1]⁶ scored by Hartmann-6, failing where x0 > 0.75
/// (a quarter of the space), as the tuners benchmark's function.
func runProposalBenchmark(sizes: [Int], python: String?, rounds: Int, results: BenchmarkResults) throws {
    let hp = HyperParameters()
    for i in 0..<6 { try hp.float("x\(i)", min: 0, max: 1) }
    let space = hp.space
    var histories: [String: [[Double?]]] = [:]
    for size in sizes {
        var history = OracleHistory()
        var previous = OracleHistory()
        var rows: [[Double?]] = []
        for number in 0..<size {
            if number == size - 1 { previous = history }
            guard let values = RandomSearchOracle().propose(trial: number, space: space, history: history, seed: 5)
            else { break }
            let x = (0..<6).map { values["x\($0)"]?.doubleValue ?? 0 }
            let value: Double? = x[0] > 0.75 ? nil : hartmann6(x)
            history.append(
                OracleTrial(number: number, values: values, status: value == nil ? .failed : .completed, score: value))
            rows.append(x.map { Optional($0) } + [value])
        }
        histories["\(size)"] = rows
        var times: [Double] = []
        for _ in 0..<rounds {
            let oracle = BayesianOptimizationOracle()
            times.append(
                try seconds {
                    guard oracle.propose(trial: size, space: space, history: history, seed: 5) != nil else {
                        throw ProposalBenchmarkError(description: "no proposal after \(size) trials")
                    }
                })
        }
        let ours = median(times)
        results.record("bayesian_\(size)_seconds", ours)
        // In a search, the oracle proposed the trial before: its fit is extended, not redone.
        var warm: [Double] = []
        for _ in 0..<rounds {
            let oracle = BayesianOptimizationOracle()
            _ = oracle.propose(trial: size - 1, space: space, history: previous, seed: 5)
            warm.append(seconds { _ = oracle.propose(trial: size, space: space, history: history, seed: 5) })
        }
        results.record("bayesian_\(size)_in_search_seconds", median(warm))
        print(
            String(
                format:
                    "BayesianOptimization, trial %d: %.3f s from a fresh process, %.3f s in a search (medians of %d)",
                size, ours, median(warm), rounds))
    }
    guard let python else {
        print("(no --python: Optuna's samplers not measured)")
        return
    }
    let file = (NSTemporaryDirectory() as NSString).appendingPathComponent("proposals-\(getpid()).json")
    defer { try? FileManager.default.removeItem(atPath: file) }
    let object: [String: Any] = [
        "dimensions": 6,
        "histories": histories.mapValues { rows in rows.map { row in row.map { $0.map { $0 as Any } ?? NSNull() } } },
    ]
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: file))
    guard let peer = runPeer(python, "optuna_proposals.py", [file, "\(rounds)"]) else {
        print("(the Optuna peer failed)")
        return
    }
    for size in sizes {
        let fresh = results.value("bayesian_\(size)_seconds") ?? .nan
        let inSearch = results.value("bayesian_\(size)_in_search_seconds") ?? .nan
        for sampler in ["gp", "tpe"] {
            guard let theirs = peer["\(sampler)_\(size)_seconds"] as? Double else { continue }
            results.record("optuna_\(sampler)_\(size)_seconds", theirs)
            results.record("ratio_optuna_\(sampler)_over_bayesian_\(size)", theirs / fresh)
            results.record("ratio_optuna_\(sampler)_over_bayesian_in_search_\(size)", theirs / inSearch)
            print(
                String(
                    format: "  Optuna %@ %@, trial %d: %.3f s; its time over ours: %.2f (fresh), %.2f (in a search)",
                    peer["version"] as? String ?? "?", sampler == "gp" ? "GPSampler" : "TPESampler", size, theirs,
                    theirs / fresh, theirs / inSearch))
        }
    }
}

/// Hartmann-6 (minimum −3.32237 at about (0.20, 0.15, 0.48, 0.28, 0.31, 0.66)).
func hartmann6(_ x: [Double]) -> Double {
    let a: [[Double]] = [
        [10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14],
    ]
    let p: [[Double]] = [
        [1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381],
    ]
    let alpha: [Double] = [1, 1.2, 3, 3.2]
    var sum = 0.0
    for i in 0..<4 {
        var inner = 0.0
        for j in 0..<6 { inner += a[i][j] * pow(x[j] - p[i][j] * 1e-4, 2) }
        sum += alpha[i] * exp(-inner)
    }
    return -sum
}

struct ProposalBenchmarkError: Error, CustomStringConvertible {
    var description: String
}
