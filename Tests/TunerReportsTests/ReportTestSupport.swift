import Foundation
import SwiftTuner
import TunerTestSupport
import XCTest

/// The repository's root and its fixtures.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let junitSchema = repositoryRoot.appendingPathComponent("Fixtures/schemas/junit/junit-10.xsd").path
let surefireSchema = repositoryRoot.appendingPathComponent("Fixtures/schemas/junit/surefire-test-report.xsd").path

/// Runs one of the guide's scenarios (stand-in trainer) into a journal; returns its snapshot.
func guideStudy(_ scenario: GuideScenario, in directory: TemporaryDirectory, project: String? = nil) throws -> StudySnapshot {
    let tuner = try GridSearch(hypermodel: scenario.buildModel, objective: "val_loss", seed: 1, directory: directory.path,
                               projectName: project ?? "seed-guide-\(scenario.rawValue)", overwrite: true,
                               maxRetriesPerTrial: 3, maxConsecutiveFailedTrials: 8, verbose: 0, output: CapturedOutput())
    tuner.handlesSignals = false
    let data = GuideScenario.data()
    _ = try? tuner.search(x: data.x, y: data.y, validationData: data.validation, epochs: 10)
    return try StudySnapshot(journal: tuner.journal)
}

/// Runs a command; returns its exit code and output.
@discardableResult
func shell(_ executable: String, _ arguments: [String]) throws -> (code: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Whether a command exists on this machine.
func have(_ command: String) -> Bool {
    (try? shell("sh", ["-c", "command -v \(command)"]).code) == 0
}

/// Whether python3 can import a module.
func havePython(_ module: String) -> Bool {
    (try? shell("python3", ["-c", "import \(module)"]).code) == 0
}
