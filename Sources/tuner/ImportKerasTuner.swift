import ArgumentParser
import TunerKerasImport

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
        let result = try KerasTunerImport.importProject(at: project, into: journal, objective: objective)
        print("imported \(result.trials) trials into \(result.journalPath)")
        for note in result.notes { print("note: \(note)") }
    }
}
