import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerTestSupport
import XCTest

/// The three scenarios of the guide "Handling failed trials in KerasTuner", on the Swift API.
final class GuideScenarioTests: XCTestCase {
    func run(
        _ scenario: GuideScenario, _ directory: TemporaryDirectory, overwrite: Bool = true,
        build: ((HyperParameters) throws -> GuideModel)? = nil
    ) throws -> (GridSearch<GuideModel>, CapturedOutput) {
        let output = CapturedOutput()
        let tuner = try GridSearch(
            hypermodel: build ?? scenario.buildModel, objective: "val_loss",
            configuration: TunerConfiguration(
                directory: directory.path, projectName: "guide", maxRetriesPerTrial: 3, maxConsecutiveFailedTrials: 8,
                seed: 1, overwrite: overwrite),
            output: output)
        tuner.handlesSignals = false
        return (tuner, output)
    }

    func table(_ journal: StudyJournal) throws -> [String] {
        let attempts = try journal.attempts()
        return try journal.trials().map { trial in
            "\(trial.trialID) \(trial.status) \(attempts.filter { $0.trial == trial.number && $0.counted }.count)"
        }
    }

    func testGuideModelsHaveKerasParameterCounts() {
        XCTAssertEqual(GuideModel(units: [30, 20], inputSize: 20).parameterCount, 1271)
        XCTAssertEqual(GuideModel(units: [10, 10], inputSize: 20).parameterCount, 331)
    }

    func testToleratePlainErrorsAreRetriedAndTheSearchCompletes() throws {
        let directory = TemporaryDirectory()
        let (tuner, output) = try run(.tolerate, directory)
        let data = GuideScenario.data()
        let outcome = try tuner.search(x: data.x, y: data.y, validationData: data.validation, epochs: 10)
        XCTAssertEqual(outcome.stopReason, .completed)
        let expected = (0...6).map { "\(trialID($0)) COMPLETED 1" } + (7...11).map { "\(trialID($0)) FAILED 4" }
        XCTAssertEqual(try table(tuner.journal), expected)
        XCTAssert(output.lines.contains("Trial 0007 failed 4 times. No retries left: marked FAILED."))
        XCTAssert(output.lines.contains("ValueError: Model too large! It contains 1271 params."))
        // Each attempt's report ends with the total elapsed time, once: 7 + 5 × 4 attempts.
        XCTAssertEqual(output.lines.filter { $0.hasPrefix("Total elapsed time: ") }.count, 27)
        XCTAssert(output.lines.suffix(2).first?.hasPrefix("Best val_loss So Far: ") ?? false)
        XCTAssert(output.lines.last?.hasPrefix("Total elapsed time: ") ?? false)
        try tuner.resultsSummary(numTrials: 12)
        XCTAssert(output.lines.contains("Results summary"))
        XCTAssert(output.lines.contains(#"Objective(name="val_loss", direction="min")"#))
        XCTAssert(output.lines.contains("Trial 0011 summary"))
    }

    /// Resuming a finished search runs nothing and prints the study's total time once.
    func testResumingAFinishedSearchRunsNothing() throws {
        let directory = TemporaryDirectory()
        let data = GuideScenario.data()
        do {
            let (tuner, _) = try run(.tolerate, directory)
            XCTAssertEqual(
                try tuner.search(x: data.x, y: data.y, validationData: data.validation, epochs: 10).stopReason,
                .completed)
        }
        let (again, output) = try run(.tolerate, directory, overwrite: false)
        XCTAssertEqual(
            try again.search(x: data.x, y: data.y, validationData: data.validation, epochs: 10).stopReason, .completed)
        XCTAssertFalse(output.lines.contains { $0.hasPrefix("Trial ") })
        XCTAssertEqual(output.lines.filter { $0.hasPrefix("Total elapsed time: ") }.count, 1)
    }

    func testFailedTrialErrorFailsAtOnce() throws {
        let directory = TemporaryDirectory()
        let (tuner, _) = try run(.failed, directory)
        let data = GuideScenario.data()
        XCTAssertEqual(
            try tuner.search(x: data.x, y: data.y, validationData: data.validation, epochs: 10).stopReason, .completed)
        let expected = (0...6).map { "\(trialID($0)) COMPLETED 1" } + (7...11).map { "\(trialID($0)) FAILED 1" }
        XCTAssertEqual(try table(tuner.journal), expected)
    }

    func testFatalErrorStopsTheSearchAndResumeFinishesTheGrid() throws {
        let directory = TemporaryDirectory()
        let data = GuideScenario.data()
        do {
            let (tuner, _) = try run(.fatal, directory)
            XCTAssertThrowsError(try tuner.search(x: data.x, y: data.y, validationData: data.validation, epochs: 10)) {
                error in
                XCTAssertEqual((error as? FatalError)?.message, "Model too large! It contains 1271 params.")
            }
            XCTAssertEqual(try table(tuner.journal), (0...6).map { "\(trialID($0)) COMPLETED 1" } + ["0007 STOPPED 0"])
            XCTAssertEqual(try tuner.journal.attempts(ofTrial: 7).map(\.outcome?.rawValue), ["fatal"])
            XCTAssertEqual(try tuner.journal.sessions().last?.stopReason, .fatal)
        }
        // The bug is "fixed": the size check is gone. Resuming re-runs 0007 first and finishes.
        let (resumed, _) = try run(.fatal, directory, overwrite: false) { hp in
            GuideModel(
                units: [
                    try hp.int("units_1", min: 10, max: 40, step: 10),
                    try hp.int("units_2", min: 10, max: 30, step: 10),
                ], inputSize: 20)
        }
        var order: [Int] = []
        try resumed.search { context in
            order.append(context.number)
            let model = try resumed.hypermodel(context.hyperparameters)
            return try model.fit(x: data.x, y: data.y, validationData: data.validation, epochs: 10, context: context)
        }
        XCTAssertEqual(order, Array(7...11))
        XCTAssertEqual(try table(resumed.journal), (0...11).map { "\(trialID($0)) COMPLETED 1" })
    }
}
