import ArgumentParser
import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerReports

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show where a search stands: counts, the running session, the streak, the stop reason.")

    @OptionGroup var location: StudyArguments

    @Flag(help: "Print JSON: status, counts by status, the streak and its limit, the best trial, the workers.")
    var json = false

    func run() throws {
        let status: StudyStatus
        if let store = location.store {
            status = try StoreCopy.status(url: store, study: try location.study.studyName())
        } else {
            status = try StudyStatus(journal: try location.open())
        }
        if json {
            let encoder = StudyOverview.encoder
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(StudyOverview(status)), as: UTF8.self))
        } else {
            print(status.text)
        }
    }
}

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print KerasTuner's results_summary from the journal.")

    @OptionGroup var location: StudyArguments

    @Option(help: "How many trials to show.")
    var numTrials = 10

    func run() throws {
        let journal = try location.open()
        print(try journal.snapshot { try journal.resultsSummary(numTrials: numTrials) })
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the HTML summary and/or the JUnit XML file of a study.")

    @OptionGroup var location: StudyArguments

    @Option(help: "Write the HTML summary here.")
    var html: String?

    @Option(help: "Write the JUnit XML file here.")
    var junit: String?

    func validate() throws {
        if html == nil && junit == nil { throw ValidationError("give --html FILE, --junit FILE, or both") }
    }

    func run() throws {
        // The JUnit file carries every trace; the HTML summary only the first of each error type.
        let snapshot = try StudySnapshot(
            journal: try location.open(),
            reading: junit == nil ? .html : .complete)
        if let html {
            try HTMLReport(snapshot: snapshot).render().write(toFile: html, atomically: true, encoding: .utf8)
            print("HTML: \(html)")
        }
        if let junit {
            try JUnitReport(snapshots: [snapshot]).document().write(to: URL(fileURLWithPath: junit))
            print("JUnit: \(junit)")
        }
    }
}
