import ArgumentParser
import Foundation
import TunerCore
import TunerEngine
import TunerJournal
import TunerStudy

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-derive every trial's proposal from the journal.",
        discussion: """
            Trial n's configuration must be what the study's tuner proposes from the study seed, \
            n, the configurations of the trials before it and the results of those that had ended \
            when it was proposed (its journaled basis). Exit code 0 when every proposal \
            re-derives, 1 when one does not (each is listed) or when the search space changed \
            while the study ran (the old proposals cannot be re-derived).
            """)

    @Argument(help: "The study file (YAML) the search ran.")
    var studyFile: String

    @Option(help: "The PostgreSQL store (postgresql://…) the study is kept in.")
    var store: String?

    func run() throws {
        let study = try StudyFile.load(studyFile)
        let journal =
            try store.map { try StoreCopy.journal(url: $0, study: study.name) }
            ?? StudyJournal.openForReading(at: study.journalPath)
        let report = try ProposalVerifier(oracle: try StudyRun(study: study).oracle()).verify(journal)
        if let unchecked = report.unchecked {
            writeStandardError("error: cannot verify: \(unchecked).\n")
            throw ExitCode(TunerCommand.Code.error)
        }
        for mismatch in report.mismatches { print(mismatch) }
        guard report.mismatches.isEmpty else {
            writeStandardError(
                "error: \(report.mismatches.count) of \(report.checked) proposals do not re-derive from the journal\n")
            throw ExitCode(TunerCommand.Code.error)
        }
        print("Verified \(report.checked) proposals: each re-derives from the journal.")
    }
}
