import ArgumentParser
import Foundation
import TunerCore
import TunerEngine
import TunerSamples
import TunerTrainer
import TunerTrainerCompat
import TunerTestSupport

/// Maintainer tools, not shipped: the guide's scenarios on the Swift API and the sample reports.
@main
struct MaintainerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "TunerMaintainer",
        abstract: "Maintainer tools: the guide's scenarios and the sample reports.",
        subcommands: [Guide.self, SampleReports.self])
}

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
                let tuner = try GridSearch(
                    hypermodel: scenario.buildMLP, objective: "val_loss",
                    configuration: TunerConfiguration(
                        directory: directory, projectName: "swift-guide-\(scenario.rawValue)", maxRetriesPerTrial: 3,
                        maxConsecutiveFailedTrials: 8, seed: 1, overwrite: true))
                tuner.searchSpaceSummary()
                try tuner.search(x: data.x, y: data.y, validationData: data.validation, epochs: 10)
                try tuner.resultsSummary()
            } catch let error as FatalSearchError {
                print("The search stopped, as the guide's scenario expects: \(type(of: error)): \(error)")
                if scenarios.count == 1 { throw ExitCode(4) }
            }
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
        if rebuildStudies { try SampleStudies.rebuild(root: root) }
        for file in try SampleStudies.writeReports(root: root) { print("Reports/\(file)") }
    }
}
