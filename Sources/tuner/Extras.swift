import ArgumentParser
import Foundation
import SwiftTuner
import TunerTestSupport

struct Guide: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the guide's three scenarios on the Swift API (GridSearch and the built-in MLP).")

    @Argument(help: "tolerate, failed, fatal or all.")
    var scenario = "all"

    @Option(help: "Where the studies are journaled.")
    var directory = ".tuner"

    func run() throws {
        let scenarios: [GuideScenario]
        if scenario == "all" {
            scenarios = GuideScenario.allCases
        } else if let one = GuideScenario(rawValue: scenario) {
            scenarios = [one]
        } else {
            throw ValidationError("the scenario is tolerate, failed, fatal or all")
        }
        let data = GuideScenario.matrices()
        for scenario in scenarios {
            print("=== Scenario: \(scenario.rawValue) ===")
            do {
                let tuner = try GridSearch(hypermodel: scenario.buildMLP, objective: "val_loss", seed: 1, directory: directory,
                                           projectName: "swift-guide-\(scenario.rawValue)", overwrite: true,
                                           maxRetriesPerTrial: 3, maxConsecutiveFailedTrials: 8)
                tuner.searchSpaceSummary()
                try tuner.search(x: data.x, y: data.y, validationData: data.validation, epochs: 10)
                try tuner.resultsSummary()
            } catch let error as FatalSearchError {
                print("The search stopped, as the guide's scenario expects: \(type(of: error)): \(error)")
                if scenarios.count == 1 { throw ExitCode(TunerCommand.Code.fatal) }
            } catch {
                fail(error)
            }
        }
    }
}

struct ImportKerasTuner: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-kerastuner",
        abstract: "Import a KerasTuner 1.4 project directory (oracle.json, trial_*/trial.json) into a journal.")

    @Argument(help: "The KerasTuner project directory.")
    var project: String

    @Argument(help: "The journal to write (replaced if it exists).")
    var journal: String

    @Option(help: "The objective's metric name (inferred from the trials' scores when omitted).")
    var objective: String?

    func run() throws {
        do {
            let result = try KerasTunerImport.importProject(at: project, into: journal, objective: objective)
            print("imported \(result.trials) trials into \(result.journalPath)")
            for note in result.notes { print("note: \(note)") }
        } catch {
            fail(error)
        }
    }
}

struct SampleReports: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-reports",
        abstract: "Regenerate Reports/ from the fixture journals (run from the repository's root).")

    @Flag(help: "Run the fixture studies again first (new timings).")
    var rebuildStudies = false

    func run() throws {
        let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        do {
            if rebuildStudies { try SampleStudies.rebuild(root: root) }
            for file in try SampleStudies.writeReports(root: root) { print("Reports/\(file)") }
        } catch {
            fail(error)
        }
    }
}
