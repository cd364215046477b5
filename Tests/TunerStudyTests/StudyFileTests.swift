import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerReports
import TunerStudy
import TunerTestSupport
import XCTest

/// Study files: what they accept, and a clear error (line, column, field) for what they do not.
final class StudyFileTests: XCTestCase {
    static let root = repositoryRoot

    let valid = """
        study: s
        tuner: grid
        objective: val_loss
        search_space:
          - {name: units, type: int, min: 8, max: 32, step: 8}
        trial:
          model:
            layers: [{units: $units, activation: relu}, {units: 1}]
            loss: mean_squared_error
          data: {random: {rows: 20, features: 3}, validation_random: {rows: 10}}
        """

    func assertError(
        _ text: String, line: Int?, column: Int? = nil, _ expected: String, file: StaticString = #filePath,
        at: UInt = #line
    ) {
        XCTAssertThrowsError(try StudyFile.parse(text, path: "s.yaml"), file: file, line: at) { error in
            guard let error = error as? StudyFileError else { return XCTFail("\(error)", file: file, line: at) }
            XCTAssert(error.description.contains(expected), error.description, file: file, line: at)
            if let line { XCTAssertEqual(error.line, line, error.description, file: file, line: at) }
            if let column { XCTAssertEqual(error.column, column, error.description, file: file, line: at) }
        }
    }

    func testTheFixtureStudiesParse() throws {
        for name in [
            "seed-guide-tolerate", "seed-guide-failed", "seed-guide-fatal", "iris-random", "command-example",
            "iris-hyperband", "branin-bayesian",
        ] {
            let study = try StudyFile.load(Self.root.appendingPathComponent("Fixtures/studies/\(name).yaml").path)
            XCTAssertEqual(study.name, name)
        }
        let guide = try StudyFile.load(
            Self.root.appendingPathComponent("Fixtures/studies/seed-guide-tolerate.yaml").path)
        XCTAssertEqual(guide.space.gridCount(), 12)
        XCTAssertEqual(guide.maxRetriesPerTrial, 3)
        XCTAssertEqual(guide.maxConsecutiveFailedTrials, 8)
        XCTAssertEqual(guide.journalPath, ".tuner/seed-guide-tolerate/journal.sqlite")
        let iris = try StudyFile.load(Self.root.appendingPathComponent("Fixtures/studies/iris-random.yaml").path)
        XCTAssertEqual(iris.space["dropout"]?.conditions.first?.parent, "use_dropout")
        XCTAssertEqual(iris.objective.direction, .max)
    }

    func testMalformedYAMLNamesTheLineAndColumn() {
        assertError("study: s\nobjective: [val_loss\n", line: 3, "malformed YAML")
        assertError("study: s\n  bad: indent\n", line: 2, "malformed YAML")
    }

    func testUnknownKeysSuggestTheClosest() {
        assertError(
            valid.replacingOccurrences(of: "tuner: grid", with: "tunner: grid"), line: 2, column: 1,
            "unknown key 'tunner'; did you mean 'tuner'?")
        assertError(valid.replacingOccurrences(of: "step: 8", with: "stpe: 8"), line: 5, "did you mean 'step'?")
        assertError(valid.replacingOccurrences(of: "$units,", with: "$unit,"), line: 8, "did you mean '$units'?")
    }

    func testWrongTypesAndInvalidRanges() {
        assertError(
            valid.replacingOccurrences(of: "min: 8", with: "min: eight"), line: 5,
            "search_space[0].min: expected an integer, found \"eight\"")
        assertError(
            valid.replacingOccurrences(of: "min: 8, max: 32", with: "min: 64, max: 32"), line: 5,
            "min_value 64 is greater than max_value 32")
        assertError(valid.replacingOccurrences(of: "type: int", with: "type: integer"), line: 5, "did you mean 'int'?")
        assertError(
            valid.replacingOccurrences(of: "loss: mean_squared_error", with: "loss: mse"), line: 9, "expected one of")
        assertError(
            valid.replacingOccurrences(of: "tuner: grid", with: "tuner: grid\nmax_consecutive_failed_trials: 0"),
            line: 3, "must be positive, or none")
        assertError(
            valid.replacingOccurrences(of: "objective: val_loss", with: "objective: widgets"), line: 3,
            "cannot infer whether to minimize or maximize")
        assertError(valid.replacingOccurrences(of: "study: s\n", with: ""), line: 1, "every study file needs 'study'")
    }

    func testCommandTrials() throws {
        let command = """
            study: c
            objective: val_loss
            search_space: [{name: lr, type: float, min: 0.001, max: 0.1, sampling: log}]
            trial: {command: "python3 train.py --lr {lr}", timeout: 5}
            """
        let study = try StudyFile.parse(command, path: "c.yaml")
        guard case .command(let spec) = study.trial else { return XCTFail("not a command trial") }
        XCTAssertEqual(spec.timeout, 5)
        XCTAssertEqual(spec.failedExitCode, 3)
        assertError(command.replacingOccurrences(of: "{lr}", with: "{rate}"), line: 4, "names '{rate}'")
        assertError(
            command.replacingOccurrences(of: "timeout: 5", with: "timeout: 5, data: {csv: x}"), line: 4,
            "belongs to the built-in model")
    }
}
