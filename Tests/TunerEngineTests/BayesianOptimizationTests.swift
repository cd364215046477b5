import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerTestSupport
import XCTest

/// The failure-aware Bayesian optimization: deterministic, never repeating, learning, and
/// steering away from regions that fail.
final class BayesianOptimizationTests: XCTestCase {
    func space(_ dims: Int) throws -> HyperParameters {
        let hp = HyperParameters()
        for i in 0..<dims { try hp.float("x\(i)", min: 0, max: 1) }
        return hp
    }

    /// Branin on [0, 1]² (minimum 0.398), failing where x0 > 0.6 (40 % of the space).
    func branin(_ context: TrialContext) throws -> TrialResult {
        let u = context.hyperparameters["x0"]?.doubleValue ?? 0, v = context.hyperparameters["x1"]?.doubleValue ?? 0
        if u > 0.6 { throw FailedTrialError("diverged in the failing region") }
        let x = 15 * u - 5, y = 15 * v
        let b = 5.1 / (4 * Double.pi * Double.pi), c = 5 / Double.pi, t = 1 / (8 * Double.pi)
        let value = pow(y - b * x * x + c * x - 6, 2) + 10 * (1 - t) * cos(x) + 10
        return TrialResult(metrics: ["val_loss": value])
    }

    func run(
        _ oracle: any Oracle, trials: Int, seed: UInt64, body: (TrialContext) throws -> TrialResult,
        objective: Objective = "val_loss", space: HyperParameters? = nil
    ) throws -> StudyJournal {
        let h = Harness()
        let tuner = try h.tuner(
            oracle: oracle, space: space ?? self.space(2), maxTrials: trials, limit: nil, seed: seed,
            objective: objective, verbose: 0)
        try tuner.search(body)
        return try h.reader()
    }

    func testS30ProposalsArePureFunctionsOfTheHistory() throws {
        let oracle = BayesianOptimizationOracle(numInitialPoints: 3, candidates: 300)
        let space = try self.space(2).space
        var history = OracleHistory()
        for n in 0..<8 {
            let a = try XCTUnwrap(oracle.propose(trial: n, space: space, history: history, seed: 9))
            XCTAssertEqual(a, oracle.propose(trial: n, space: space, history: history, seed: 9))
            let score = (a["x0"]?.doubleValue ?? 0) + (a["x1"]?.doubleValue ?? 0)
            history.append(OracleTrial(number: n, values: a, status: .completed, score: score))
        }
    }

    func testNeverRepeatsAndCompletesWhenTheSpaceIsExhausted() throws {
        let journal = try run(
            BayesianOptimizationOracle(numInitialPoints: 2, candidates: 200), trials: 30, seed: 1,
            body: ScriptedBody { trial, _ in trial % 3 == 0 ? .failedTrial("x") : .complete([Double(trial)]) }.run,
            space: try lineSpace(7))
        let values = try journal.trials().map(\.hyperparameters)
        XCTAssertEqual(values.count, 7)
        XCTAssertEqual(Set(values).count, 7)
        XCTAssertEqual(try journal.sessions().last?.stopReason, .completed)
    }

    func testItFindsTheMinimumAndTheMaximum() throws {
        let bowl: (TrialContext) throws -> TrialResult = { context in
            let x = context.hyperparameters["x0"]?.doubleValue ?? 0
            return TrialResult(metrics: ["val_loss": (x - 0.3) * (x - 0.3), "val_accuracy": 1 - (x - 0.7) * (x - 0.7)])
        }
        let low = try run(
            BayesianOptimizationOracle(numInitialPoints: 4, candidates: 400), trials: 16, seed: 3, body: bowl,
            space: try space(1))
        let best = try XCTUnwrap(try low.bestTrials(1).first)
        XCTAssertEqual(try best.values()["x0"]?.doubleValue ?? 0, 0.3, accuracy: 0.03)
        let high = try run(
            BayesianOptimizationOracle(numInitialPoints: 4, candidates: 400), trials: 16, seed: 3, body: bowl,
            objective: "val_accuracy", space: try space(1))
        XCTAssertEqual(try high.bestTrials(1).first?.values()["x0"]?.doubleValue ?? 0, 0.7, accuracy: 0.03)
    }

    func testItSteersAwayFromTheFailingRegion() throws {
        var failures: [String: Int] = [:], bests: [String: Double] = [:]
        for (name, oracle) in [
            ("random", RandomSearchOracle() as any Oracle),
            ("bayesian", BayesianOptimizationOracle(numInitialPoints: 6, candidates: 400)),
        ] {
            var failed = 0
            var best: [Double] = []
            for seed in UInt64(1)...3 {
                let journal = try run(oracle, trials: 30, seed: seed, body: branin)
                failed += try journal.trials().filter { $0.status == .failed }.count
                best.append(try journal.bestTrials(1).first?.score ?? .infinity)
            }
            failures[name] = failed
            bests[name] = best.sorted()[1]
        }
        print("Branin with a failing region, 3 seeds × 30 trials: failures \(failures), median best \(bests)")
        XCTAssertLessThan(failures["bayesian"]!, failures["random"]! / 3)
        XCTAssertLessThanOrEqual(bests["bayesian"]!, bests["random"]!)
    }
}
