import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerTrainer
import TunerTrainerCompat
import TunerSamples
import TunerTestSupport
import XCTest

/// Hyperband: KerasTuner's brackets, promotions that continue from the parent's weights, and
/// a failed candidate's slot given to the next best.
final class HyperbandTests: XCTestCase {
    func testTheScheduleIsKerasTuners() {
        let rounds = HyperbandOracle(maxEpochs: 9, factor: 3).schedule
        XCTAssertEqual(
            rounds.map { [$0.bracket, $0.round, $0.size, $0.epochs, $0.initialEpoch] },
            [
                [2, 0, 9, 1, 0], [2, 1, 3, 3, 1], [2, 2, 1, 9, 3],
                [1, 0, 5, 3, 0], [1, 1, 2, 9, 3],
                [0, 0, 3, 9, 0],
            ])
    }

    func buildModel(_ hp: HyperParameters) throws -> Sequential {
        let model = try Sequential([
            Dense(try hp.int("units", min: 4, max: 64, step: 4), activation: .relu, inputSize: 20), Dense(1),
        ])
        model.compile(
            optimizer: .adam(learningRate: try hp.float("lr", min: 1e-3, max: 1e-1, sampling: .log)),
            loss: .meanSquaredError)
        return model
    }

    func testPromotedTrialsContinueFromTheirParentsWeights() throws {
        let directory = TemporaryDirectory()
        let tuner = try Hyperband(
            hypermodel: buildModel, objective: "val_loss", maxEpochs: 9, factor: 3,
            configuration: TunerConfiguration(directory: directory.path, seed: 2, verbose: 0),
            output: CapturedOutput())
        tuner.handlesSignals = false
        let data = GuideScenario.matrices()
        try tuner.search(x: data.x, y: data.y, validationData: data.validation)
        let trials = try tuner.journal.trials()
        XCTAssertEqual(trials.count, 23)
        XCTAssert(trials.allSatisfy { $0.status == .completed })
        var continued = 0
        for child in trials {
            guard case .string(let parentID)? = try child.values()["tuner/trial_id"],
                let parent = trials.first(where: { $0.trialID == parentID })
            else { continue }
            XCTAssertEqual(
                try child.values().filter { !$0.key.hasPrefix("tuner/") },
                try parent.values().filter { !$0.key.hasPrefix("tuner/") })
            // The parent's saved weights are its final weights.
            let parentValues = try parent.values()
            let saved = try buildModel(HyperParameters(space: tuner.space, values: parentValues))
            try saved.loadWeights(from: directory.file("untitled_project/trials/trial_\(parentID)/model.weights"))
            let parentCurve =
                try tuner.journal.learningCurves(metric: "val_loss")[
                    try XCTUnwrap(tuner.journal.attempts(ofTrial: parent.number).last?.id)] ?? []
            XCTAssertEqual(
                try saved.evaluate(x: data.validation.0, y: data.validation.1)["loss"] ?? 0,
                try XCTUnwrap(parentCurve.last), accuracy: 1e-5)
            // The child did not start from fresh weights: a fresh model's first epoch differs.
            let childCurve =
                try tuner.journal.learningCurves(metric: "val_loss")[
                    try XCTUnwrap(tuner.journal.attempts(ofTrial: child.number).last?.id)] ?? []
            let fresh = try buildModel(HyperParameters(space: tuner.space, values: parentValues))
            let freshFirst = try fresh.fit(
                x: data.x, y: data.y, epochs: 1, validationData: data.validation, seed: child.trialSeed)["val_loss"]
                .first
            XCTAssertNotEqual(childCurve.first, freshFirst, "\(child.trialID) from \(parentID)")
            continued += 1
        }
        XCTAssertEqual(continued, 3 + 1 + 2)
    }

    func testAFailedCandidatesSlotGoesToTheNextBest() throws {
        let h = TemporaryDirectory()
        let hp = try lineSpace(50)
        let tuner = try Tuner(
            oracle: HyperbandOracle(maxEpochs: 9, factor: 3), objective: "val_loss",
            hyperparameters: hp,
            configuration: TunerConfiguration(directory: h.path, maxConsecutiveFailedTrials: nil, seed: 4, verbose: 0),
            output: CapturedOutput())
        tuner.handlesSignals = false
        // Round 0 of the first bracket: trial 0004 fails; the others' loss is their x.
        try tuner.search { context in
            if context.number == 4 { throw FailedTrialError("fails") }
            let x = context.hyperparameters["x"]?.doubleValue ?? 0
            return TrialResult(metrics: ["val_loss": x])
        }
        let trials = try tuner.journal.trials()
        let roundZero = trials.prefix(9).filter { $0.status == .completed }
            .sorted { ($0.score ?? 0) < ($1.score ?? 0) }.prefix(3).map(\.trialID)
        let promoted = try trials[9..<12].map { trial -> String in
            guard case .string(let id)? = try trial.values()["tuner/trial_id"] else { return "?" }
            return id
        }
        XCTAssertEqual(promoted, Array(roundZero), "the three best completed trials, the failed one skipped")
        XCTAssertEqual(trials.count, 23)
    }

    func testNewConfigurationsAvoidARegionSeenFailing() throws {
        // 30 % of the space fails (x0 > 0.7); blind sampling would fail on about 30 % of the new
        // configurations of every bracket's first round.
        var newConfigurations = 0, failed = 0
        for seed in UInt64(1)...3 {
            let h = TemporaryDirectory()
            let hp = HyperParameters()
            try hp.float("x0", min: 0, max: 1)
            try hp.float("x1", min: 0, max: 1)
            let tuner = try Tuner(
                oracle: HyperbandOracle(maxEpochs: 27, factor: 3), objective: "val_loss",
                hyperparameters: hp,
                configuration: TunerConfiguration(
                    directory: h.path, maxConsecutiveFailedTrials: nil, seed: seed, verbose: 0),
                output: CapturedOutput())
            tuner.handlesSignals = false
            try tuner.search { context in
                let x0 = context.hyperparameters["x0"]?.doubleValue ?? 0,
                    x1 = context.hyperparameters["x1"]?.doubleValue ?? 0
                if x0 > 0.7 { throw FailedTrialError("diverged") }
                return TrialResult(metrics: ["val_loss": (x0 - 0.3) * (x0 - 0.3) + (x1 - 0.5) * (x1 - 0.5)])
            }
            let trials = try tuner.journal.trials()
            newConfigurations += try trials.filter { try $0.values()["tuner/round"] == .int(0) }.count
            failed += trials.filter { $0.status == .failed }.count
        }
        print("Hyperband, 3 seeds: \(failed) of \(newConfigurations) new configurations failed")
        XCTAssertGreaterThan(newConfigurations, 100)
        XCTAssertLessThan(
            Double(failed), 0.3 * Double(newConfigurations) / 3, "at most a third of blind sampling's failures")
    }
}
