import Foundation
import TunerCore
import TunerJournal
import TunerReports
@testable import TunerKerasImport
import TunerTestSupport
import XCTest

/// Importing the projects KerasTuner 1.4.8 wrote for the guide's three scenarios
/// (`Fixtures/kerastuner/`, made by `kerastuner_guide.py` there).
final class KerasTunerImportTests: XCTestCase {
    let directory = TemporaryDirectory()

    func importProject(_ name: String) throws -> (KerasTunerImport.Result, StudyJournal) {
        let project = repositoryRoot.appendingPathComponent("Fixtures/kerastuner/\(name)").path
        let result = try KerasTunerImport.importProject(at: project, into: directory.file("\(name)/journal.sqlite"))
        return (result, try StudyJournal.openForReading(at: result.journalPath))
    }

    func table(_ journal: StudyJournal) throws -> [String] {
        let attempts = try journal.attempts()
        return try journal.trials().map { trial in
            "\(trial.trialID) \(trial.status) \(attempts.filter { $0.trial == trial.number }.count)"
        }
    }

    func testTheToleranceScenario() throws {
        let (result, journal) = try importProject("guide-tolerate")
        XCTAssertEqual(result.trials, 12)
        XCTAssertEqual(
            try table(journal),
            (0...6).map { "\(trialID($0)) COMPLETED 1" } + (7...11).map { "\(trialID($0)) FAILED 4" })
        let study = try journal.study()
        XCTAssertEqual(study.objective, Objective("val_loss", direction: .min))
        XCTAssertEqual(try journal.trial(7)?.message, "Model too large! It contains 1271 params.")
        let last = try XCTUnwrap(try journal.attempts(ofTrial: 7).last)
        XCTAssert(last.trace?.contains("Traceback (most recent call last)") ?? false)
        XCTAssert(result.notes.contains { $0.contains("keeps only the last of its 4 tracebacks") })
        XCTAssertEqual(try journal.study().searchSpace().names, ["units_1", "units_2"])
        XCTAssertEqual(try journal.trials().first.map { try $0.values() }, ["units_1": .int(10), "units_2": .int(10)])
        XCTAssertNotNil(try journal.trials().first?.score)
    }

    func testFailedTrialErrorsAreOneAttemptEach() throws {
        let (_, journal) = try importProject("guide-failed")
        XCTAssertEqual(
            try table(journal),
            (0...6).map { "\(trialID($0)) COMPLETED 1" } + (7...11).map { "\(trialID($0)) FAILED 1" })
        XCTAssertEqual(try journal.attempts(ofTrial: 7).first?.outcome, .failed)
        XCTAssertEqual(try journal.attempts(ofTrial: 7).first?.errorType, "FailedTrialError")
    }

    func testTheTrialAFatalErrorLeftRunningIsStopped() throws {
        let (result, journal) = try importProject("guide-fatal")
        XCTAssertEqual(try table(journal), (0...6).map { "\(trialID($0)) COMPLETED 1" } + ["0007 STOPPED 1"])
        XCTAssertEqual(try journal.sessions().last?.stopReason, .interrupted)
        XCTAssert(result.notes.contains { $0.contains("left RUNNING by KerasTuner") })
        // The reports read it like any journal.
        let snapshot = try StudySnapshot(journal: journal)
        let junit = try JUnitReport(snapshots: [snapshot]).document()
        XCTAssertEqual(try XMLSchemaValidator(schemaAt: fixturePath("schemas/junit/junit-10.xsd")).validate(junit), [])
        XCTAssertFalse(HTMLReport(snapshot: snapshot).render().isEmpty)
    }

    func testPythonsNonFiniteTokensAndBadFiles() throws {
        let project = directory.file("nan-project")
        try FileManager.default.createDirectory(atPath: project + "/trial_00", withIntermediateDirectories: true)
        try
            #"""
            {"hyperparameters": {"space": [{"class_name": "Float", "config": {"name": "lr", "default": null, \#
            "conditions": [], "min_value": 0.001, "max_value": 0.1, "step": null, "sampling": "log"}}], \#
            "values": {}}, \#
            "start_order": ["00"], "run_times": {"00": 1}, "ongoing_trials": {}}
            """#
            .write(toFile: project + "/oracle.json", atomically: true, encoding: .utf8)
        try
            #"""
            {"trial_id": "00", "hyperparameters": {"values": {"lr": 0.01}}, "metrics": {"metrics": {"val_loss": \#
            {"direction": "min", "observations": [{"value": [NaN], "step": 0}]}}}, "score": NaN, "best_step": 0, \#
            "status": "INVALID", "message": "ValueError: \"NaN\" in a string stays"}
            """#
            .write(toFile: project + "/trial_00/trial.json", atomically: true, encoding: .utf8)
        let result = try KerasTunerImport.importProject(
            at: project, into: directory.file("nan/journal.sqlite"), objective: "val_loss")
        let journal = try StudyJournal.openForReading(at: result.journalPath)
        XCTAssertEqual(try journal.trials().first?.status.rawValue, "INVALID")
        XCTAssertEqual(try journal.attempts().first?.message, "\"NaN\" in a string stays")
        XCTAssertEqual(
            KerasTunerImport.replacingNonFiniteTokens(#"{"a": [NaN, Infinity, -Infinity], "s": "NaN"}"#),
            #"{"a": ["nan", "inf", "-inf"], "s": "NaN"}"#)

        try "not json".write(toFile: project + "/oracle.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(
            try KerasTunerImport.importProject(at: project, into: directory.file("bad/journal.sqlite"))
        ) { error in
            XCTAssert("\(error)".contains("oracle.json: not valid JSON"), "\(error)")
        }
        XCTAssertThrowsError(
            try KerasTunerImport.importProject(at: directory.file("missing"), into: directory.file("m/journal.sqlite"))
        ) { error in
            XCTAssert("\(error)".contains("cannot read the file"), "\(error)")
        }
    }
}
