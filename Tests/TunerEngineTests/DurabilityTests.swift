import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerTestSupport
import XCTest

/// SEMANTICS section 5 as the engine sees it: S22, S23, S26–S29.
final class DurabilityTests: XCTestCase {
    func testS22TheJournalIsWALWithSynchronousFullByDefaultAndNormalOnRequest() throws {
        let h = Harness()
        let tuner = try h.tuner()
        let (mode, sync) = try pragmas(tuner.journal)
        XCTAssertEqual(mode, "wal")
        XCTAssertEqual(sync, 2, "FULL")
        let g = Harness()
        let normal = try g.tuner(options: JournalOptions(synchronous: .normal))
        XCTAssertEqual(try pragmas(normal.journal).1, 1, "NORMAL")
    }

    func testS22EachStateChangeIsCommittedBeforeTheSearchMovesOn() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 2, retries: 1)
        var observed: [[String]] = []
        let body = ScriptedBody { trial, retry in trial == 1 && retry == 0 ? .error("x") : nil }
        body.onCall = { context in
            // Another connection sees the trial created and its attempt started, already committed.
            let reader = try! h.reader()
            let attempts = try! reader.attempts(ofTrial: context.number)
            observed.append(attempts.map { $0.outcome?.rawValue ?? "open" })
        }
        try tuner.search(body.run)
        XCTAssertEqual(observed, [["open"], ["open"], ["error", "open"]])
    }

    func testS23ResumeClosesDeadSessionsAndRerunsTheirTrialsFirstInOrder() throws {
        let h = Harness()
        try h.tuner(maxTrials: 2).search(ScriptedBody().run)
        // Two trials died in two sessions: 0003 was created after 0002.
        try h.simulateDeath(runningNewTrial: 2, values: ["x": .int(2)])
        try h.simulateDeath(runningNewTrial: 3, values: ["x": .int(3)])
        let body = ScriptedBody()
        let tuner = try h.tuner()
        try tuner.search(body.run)
        XCTAssertEqual(body.calls.map(\.trial), [2, 3, 4])
        let sessions = try h.reader().sessions()
        XCTAssertEqual(sessions.map(\.stopReason?.rawValue), ["completed", "interrupted", "interrupted", "completed"])
        XCTAssert(sessions.allSatisfy { $0.endedAt != nil })
        XCTAssertEqual(try h.reader().attempts(ofTrial: 2).map(\.outcome?.rawValue), ["interrupted", "completed"])
        XCTAssert(h.output.lines.contains { $0.hasPrefix("Resuming: 2 session(s)") })
    }

    func testS26ASecondWriterIsRefusedNamingTheFirst() throws {
        let h = Harness()
        let first = try h.tuner()
        XCTAssertThrowsError(try h.tuner()) { error in
            let journalError = error as? JournalError
            XCTAssertEqual(journalError?.kind, .locked)
            XCTAssert("\(error)".contains("process \(getpid()) on host"), "\(error)")
        }
        _ = first
    }

    func testS27OverwriteStartsAnEmptyStudy() throws {
        let h = Harness()
        try h.tuner(maxTrials: 3).search(ScriptedBody().run)
        let tuner = try h.tuner(seed: 99, overwrite: true)
        XCTAssertEqual(try tuner.journal.trials().count, 0)
        XCTAssertEqual(try tuner.journal.sessions().count, 0)
        XCTAssertEqual(tuner.seed, 99)
    }

    func testS28ADiskFullStopsWithErrorKeepsTheJournalValidAndResumes() throws {
        let h = Harness()
        let big = ScriptedBody(default: .complete(Array(repeating: 0.5, count: 300)))
        do {
            let tuner = try h.tuner(space: try lineSpace(40), maxTrials: 40, options: JournalOptions(maxPageCount: 40))
            XCTAssertThrowsError(try tuner.search(big.run)) { error in
                XCTAssertEqual((error as? JournalError)?.kind, .writeFailed)
                XCTAssert("\(error)".contains("journal.sqlite"), "names the file")
                XCTAssert("\(error)".lowercased().contains("full"), "\(error)")
            }
        }
        let reader = try h.reader()
        XCTAssertEqual(try reader.sessions().last?.stopReason, .error)
        let done = try reader.trials().filter { $0.status == .completed }.count
        XCTAssertGreaterThan(done, 0)
        XCTAssertLessThan(done, 40)
        let resumed = try h.tuner(space: try lineSpace(40), maxTrials: 40)
        XCTAssertEqual(try resumed.search(big.run).stopReason, .completed)
        XCTAssertEqual(try h.reader().trials().filter { $0.status == .completed }.count, 40)
    }

    func testS29TotalElapsedTimeIsTheSumOfSessionDurations() throws {
        let h = Harness()
        try h.tuner(maxTrials: 1).search { _ in TrialResult(metrics: ["val_loss": 1]) }
        let tuner = try h.tuner(maxTrials: 2)
        try tuner.search { _ in TrialResult(metrics: ["val_loss": 1]) }
        let sessions = try h.reader().sessions()
        XCTAssertEqual(sessions.count, 2)
        let total = try tuner.totalElapsed()
        XCTAssertEqual(total, sessions.map(\.duration).reduce(0, +), accuracy: 1e-9)
        let downtime = sessions[1].startedAt - (sessions[0].endedAt ?? sessions[0].startedAt)
        XCTAssertGreaterThan(downtime, 0)
        let span = (sessions[1].endedAt ?? 0) - sessions[0].startedAt
        XCTAssertEqual(total, span - downtime, accuracy: 1e-9, "the downtime between sessions is not counted")
    }
}

private func pragmas(_ journal: StudyJournal) throws -> (String, Int) {
    // The journal's own connection answers for its settings.
    try journal.connectionPragmas()
}
