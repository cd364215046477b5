import ArgumentParser
import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerReports

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Export a study as JSON (the study, its sessions, every trial with its attempts) or CSV (one row per " +
                "trial)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, csv }

    @OptionGroup var location: StudyArguments

    @Option(help: "json or csv.")
    var format: Format = .json

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?

    func run() throws {
        let journal = try location.open()
        let data = format == .json ? try StudyExport.json(journal) : try StudyExport.csv(journal)
        if let output {
            try data.write(to: URL(fileURLWithPath: output))
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
