import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerTrainer
import TunerTrainerCompat
import TunerSamples
import TunerTestSupport
import XCTest

/// The built-in trainer inside a search: the guide's GridSearch on real training.
final class SearchWithTrainerTests: XCTestCase {
    func buildModel(_ hp: HyperParameters) throws -> Sequential {
        let units1 = try hp.int("units_1", min: 10, max: 40, step: 10)
        let units2 = try hp.int("units_2", min: 10, max: 30, step: 10)
        let model = try Sequential([Dense(units1, inputSize: 20), Dense(units2), Dense(1)])
        model.compile(optimizer: .adam(), loss: .meanSquaredError)
        if model.parameterCount > 1200 {
            throw ValueError("Model too large! It contains \(model.parameterCount) params.")
        }
        return model
    }

    func testTheGuidesToleranceScenarioOnTheBuiltInTrainer() throws {
        let directory = TemporaryDirectory()
        let tuner = try GridSearch(
            hypermodel: buildModel, objective: "val_loss",
            configuration: TunerConfiguration(
                directory: directory.path, maxRetriesPerTrial: 3, maxConsecutiveFailedTrials: 8, seed: 3,
                overwrite: true),
            output: CapturedOutput())
        tuner.handlesSignals = false
        let x = Matrix.random(rows: 100, columns: 20, seed: 1), y = Matrix.random(rows: 100, columns: 1, seed: 2)
        let xv = Matrix.random(rows: 100, columns: 20, seed: 3), yv = Matrix.random(rows: 100, columns: 1, seed: 4)
        try tuner.search(x: x, y: y, validationData: (xv, yv), epochs: 10)
        let trials = try tuner.journal.trials()
        XCTAssertEqual(
            trials.map(\.status.rawValue),
            Array(repeating: "COMPLETED", count: 7) + Array(repeating: "FAILED", count: 5))
        // Learning curves are journaled, ten epochs of loss and val_loss per completed attempt.
        let attempt = try XCTUnwrap(try tuner.journal.attempts(ofTrial: 0).first)
        let curve = try tuner.journal.epochMetrics(ofAttempt: attempt.id!)
        XCTAssertEqual(curve.filter { $0.name == "val_loss" }.count, 10)
        XCTAssertEqual(curve.filter { $0.name == "loss" }.count, 10)
        // Same trial seed, same score, bit for bit (S31).
        let again = try buildModel(HyperParameters(space: tuner.space, values: try trials[0].values()))
        let history = try again.fit(x: x, y: y, epochs: 10, validationData: (xv, yv), seed: trials[0].trialSeed)
        XCTAssertEqual(history["val_loss"].min(), trials[0].score)
    }
}
