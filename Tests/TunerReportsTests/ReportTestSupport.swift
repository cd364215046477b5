import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerReports
import TunerKerasImport
import TunerSamples
import TunerTrainer
import TunerTrainerCompat
import TunerTestSupport
import XCTest

let junitSchema = repositoryRoot.appendingPathComponent("Fixtures/schemas/junit/junit-10.xsd").path
let surefireSchema = repositoryRoot.appendingPathComponent("Fixtures/schemas/junit/surefire-test-report.xsd").path

/// Runs one of the guide's scenarios (stand-in trainer) into a journal; returns its snapshot.
func guideStudy(_ scenario: GuideScenario, in directory: TemporaryDirectory, project: String? = nil) throws
    -> StudySnapshot
{
    let tuner = try GridSearch(
        hypermodel: scenario.buildModel, objective: "val_loss",
        configuration: TunerConfiguration(
            directory: directory.path, projectName: project ?? "seed-guide-\(scenario.rawValue)", maxRetriesPerTrial: 3,
            maxConsecutiveFailedTrials: 8, seed: 1, overwrite: true, verbose: 0),
        output: CapturedOutput())
    tuner.handlesSignals = false
    let data = GuideScenario.data()
    _ = try? tuner.search(x: data.x, y: data.y, validationData: data.validation, epochs: 10)
    return try StudySnapshot(journal: tuner.journal)
}

/// Runs a command; returns its exit code and output.
@discardableResult
func shell(_ executable: String, _ arguments: [String]) throws -> (code: Int32, output: String) {
    let run = try ChildProcess.run(executable, arguments)
    return (run.code, run.stdout + run.stderr)
}

/// Whether a command exists on this machine.
func have(_ command: String) -> Bool { ChildProcess.have(command) }

/// Whether python3 can import a module.
func havePython(_ module: String) -> Bool {
    (try? shell("python3", ["-c", "import \(module)"]).code) == 0
}

/// A report consumer (a browser, a JUnit reader) is missing: the test is skipped, unless
/// `SWIFTTUNER_REQUIRE_CONSUMERS=1` (CI) makes a missing consumer a failure.
func missingConsumer(_ message: String) -> any Error {
    if ProcessInfo.processInfo.environment["SWIFTTUNER_REQUIRE_CONSUMERS"] == "1" {
        return ConsumerMissing(message: message)
    }
    return XCTSkip(message)
}

/// A consumer CI requires is not installed.
struct ConsumerMissing: Error, CustomStringConvertible {
    var message: String
    var description: String { "required by SWIFTTUNER_REQUIRE_CONSUMERS: \(message)" }
}
