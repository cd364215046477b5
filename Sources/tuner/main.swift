// The `tuner` command. Until study files arrive, it runs the three scenarios of the guide
// "Handling failed trials in KerasTuner" on the Swift API, training the guide's models with
// the built-in MLP trainer:
//
//   swift run tuner guide [tolerate|failed|fatal|all] [--directory DIR]
import Foundation
import SwiftTuner
import TunerTestSupport

func usage() -> Never {
    FileHandle.standardError.write(Data("""
        usage: tuner guide [tolerate|failed|fatal|all] [--directory DIR]
               tuner sample-reports [--rebuild-studies]   (from the repository's root)
               tuner import-kerastuner PROJECT_DIR JOURNAL [--objective NAME]
        Runs the guide's scenarios with GridSearch and the built-in MLP trainer: 12 trials,
        models over 1,200 parameters fail.
        Each study is journaled in DIR/seed-guide-SCENARIO/journal.sqlite (DIR defaults to .tuner).

        """.utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var directory = ".tuner"
if let index = arguments.firstIndex(of: "--directory") {
    guard index + 1 < arguments.count else { usage() }
    directory = arguments[index + 1]
    arguments.removeSubrange(index...index + 1)
}
if arguments.first == "--help" || arguments.first == "-h" { usage() }
if arguments.first == "import-kerastuner" {
    guard arguments.count >= 3 else { usage() }
    let objective = arguments.firstIndex(of: "--objective").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    do {
        let result = try KerasTunerImport.importProject(at: arguments[1], into: arguments[2], objective: objective)
        print("imported \(result.trials) trials into \(result.journalPath)")
        for note in result.notes { print("note: \(note)") }
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        exit(1)
    }
}
if arguments.first == "sample-reports" {
    // Regenerates Reports/ from the fixture journals in Fixtures/journals/ (deterministic);
    // --rebuild-studies runs the fixture studies again first.
    let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    do {
        if arguments.contains("--rebuild-studies") { try SampleStudies.rebuild(root: root) }
        for file in try SampleStudies.writeReports(root: root) { print("Reports/\(file)") }
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        exit(1)
    }
}
guard arguments.isEmpty || arguments[0] == "guide" else { usage() }
let which = arguments.count > 1 ? arguments[1] : "all"
let scenarios: [GuideScenario]
if which == "all" {
    scenarios = GuideScenario.allCases
} else if let one = GuideScenario(rawValue: which) {
    scenarios = [one]
} else {
    usage()
}

let data = GuideScenario.matrices()
var exitCode: Int32 = 0
for scenario in scenarios {
    print("=== Scenario: \(scenario.rawValue) ===")
    do {
        let tuner = try GridSearch(hypermodel: scenario.buildMLP, objective: "val_loss", seed: 1,
                                   directory: directory, projectName: "seed-guide-\(scenario.rawValue)", overwrite: true,
                                   maxRetriesPerTrial: 3, maxConsecutiveFailedTrials: 8)
        tuner.searchSpaceSummary()
        try tuner.search(x: data.x, y: data.y, validationData: data.validation, epochs: 10)
        try tuner.resultsSummary()
    } catch let error as FatalSearchError {
        // The third scenario stops here by design; alone, it exits as a fatal stop does (4).
        print("The search stopped, as the guide's scenario expects: \(type(of: error)): \(error)")
        if scenarios.count == 1 { exitCode = 4 }
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        exit(1)
    }
}
exit(exitCode)
