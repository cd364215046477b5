import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerTestSupport
import XCTest

/// S6a, S16, S17, S20, S28: every way a session stops leaves the journal true — signals at
/// random instants, kills between what used to be two commits, limits set late, failed writes.
final class StopPathTests: XCTestCase {
    func start(_ arguments: [String]) throws -> SpawnedProcess {
        try SpawnedProcess(CrashEquivalenceTests.worker, arguments, log: "/dev/null")
    }

    func journalPath(_ directory: TemporaryDirectory) -> String {
        Tuner.journalPath(directory: directory.path, projectName: "crash")
    }

    /// Millisecond trials and a signal at a random instant, journal writes included: the
    /// process exits 128 + the signal, the session ends `interrupted`, no attempt is left
    /// without an outcome and no trial RUNNING.
    func testS6aASignalAtAnyInstantIsOneOrderedStop() throws {
        var rng = SplitMix64(seed: 61)
        let signals: [(Int32, String)] = [
            (SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP"), (SIGQUIT, "SIGQUIT"),
        ]
        var stopped = 0
        for round in 0..<24 {
            let directory = TemporaryDirectory()
            let process = try start([directory.path, "random", "\(round)", "100000", "0"])
            // Wait for the first trial (the search runs), then a random instant among many trials
            // a millisecond long.
            let deadline = Date().addingTimeInterval(20)
            while ((try? StudyJournal.openForReading(at: journalPath(directory)).trials().isEmpty) ?? true)
                && Date() < deadline
            {
                usleep(2_000)
            }
            usleep(UInt32(rng.nextInt(below: 80_000)))
            let (signal, name) = signals[round % signals.count]
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            XCTAssertEqual(process.exited, true, "\(name) is handled, not fatal to the process")
            XCTAssertEqual(process.terminationStatus, 128 + signal, "\(name): exit code")
            let journal = try StudyJournal.openForReading(at: journalPath(directory))
            XCTAssertEqual(try JournalInvariants.violations(in: journal), [], "round \(round), \(name)")
            let session = try XCTUnwrap(try journal.sessions().last)
            XCTAssertEqual(session.stopReason, .interrupted, "round \(round)")
            XCTAssertEqual(session.message, "stopped by \(name)")
            XCTAssertEqual(try journal.attempts().filter { $0.outcome == nil }.count, 0, "round \(round)")
            XCTAssertFalse(try journal.trials().contains { $0.status == .running }, "round \(round)")
            stopped += 1
        }
        XCTAssertEqual(stopped, 24)
    }

    /// Kills at random instants of a search whose trials often fail, with a limit of 2: the
    /// trial that reaches the limit and the session's stop are one commit, so no kill can leave
    /// a trigger without its stop (the invariant checker looks at every such trial).
    func testS17AKillCannotSeparateTheTriggerFromTheStop() throws {
        var rng = SplitMix64(seed: 17)
        let directory = TemporaryDirectory()
        var limitStops = 0
        for _ in 0..<40 {
            func attempts() -> Int {
                (try? StudyJournal.openForReading(at: journalPath(directory)).attempts().count) ?? 0
            }
            let before = attempts()
            let process = try start([directory.path, "random", "5", "400", "300", "full", "2"])
            // Once this run has started an attempt, a random instant: most kills land among trial ends.
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning, Date() < deadline, attempts() == before { usleep(2_000) }
            usleep(UInt32(rng.nextInt(below: 60_000)))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            guard FileManager.default.fileExists(atPath: journalPath(directory)) else { continue }
            let journal = try StudyJournal.openForReading(at: journalPath(directory))
            XCTAssertEqual(try JournalInvariants.violations(in: journal), [])
            limitStops = try journal.sessions().filter { $0.stopReason == .consecutiveFailures }.count
        }
        print("S17 kills: the limit fired in \(limitStops) sessions")
        XCTAssertGreaterThan(limitStops, 0, "the limit fired in some sessions")
    }

    func testS17TheLimitIsJournaledInTheTriggeringTrialsTransaction() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 5, limit: 2)
        try tuner.search(ScriptedBody(default: .failedTrial("bad")).run)
        let reader = try h.reader()
        let session = try XCTUnwrap(try reader.sessions().last)
        let trigger = try XCTUnwrap(try reader.trials().max { ($0.endSeq ?? 0) < ($1.endSeq ?? 0) })
        XCTAssertEqual(session.stopReason, .consecutiveFailures)
        XCTAssertEqual(session.endedAt, trigger.endedAt, "one transaction: one instant")
        XCTAssert(session.message?.contains("trials 0000, 0001 failed in a row") ?? false, session.message ?? "")
        XCTAssertEqual(try JournalInvariants.violations(in: reader), [])
    }

    func testS20AFatalAttemptEndsTheSessionInItsOwnTransaction() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 3)
        XCTAssertThrowsError(
            try tuner.search(ScriptedBody { trial, _ in trial == 1 ? .fatal("out of budget") : nil }.run))
        let reader = try h.reader()
        let session = try XCTUnwrap(try reader.sessions().last)
        let fatal = try XCTUnwrap(try reader.attempts().first { $0.outcome == .fatal })
        XCTAssertEqual(session.stopReason, .fatal)
        XCTAssertEqual(session.endedAt, fatal.endedAt, "one transaction: one instant")
        XCTAssertEqual(try JournalInvariants.violations(in: reader), [])
    }

    func testS6aAnAttemptLeftOpenByAnEndedSessionIsClosedAtTheNextOpen() throws {
        let h = Harness()
        do {
            let tuner = try h.tuner()
            let session = try tuner.journal.startSession(limits: "{}", pid: 1, host: "h")
            _ = try tuner.journal.createTrial(number: 0, values: ["x": .int(0)], seed: 1, session: session.id!)
            try tuner.journal.endSession(session.id!, reason: .interrupted, message: "stopped by SIGINT")
        }
        XCTAssertFalse(try JournalInvariants.violations(in: h.reader()).isEmpty, "the damage the old stop path left")
        let tuner = try h.tuner(maxTrials: 1)
        let report = try tuner.journal.recover()
        XCTAssertEqual(report.interruptedAttempts, 1)
        XCTAssertEqual(try JournalInvariants.violations(in: h.reader()), [])
        XCTAssertEqual(try h.reader().attempts().first?.outcome, .interrupted)
        XCTAssertEqual(try h.reader().trials().first?.status, .stopped)
    }

    func testS6aWritesAfterAJournaledStopAreRefusedAsTheStopNotAsAnIOError() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 3)
        let body = ScriptedBody()
        body.onCall = { context in
            guard context.number == 1 else { return }
            // The signal's thread journals the stop while this trial runs.
            let session = try! tuner.journal.sessions().last!.id!
            try! tuner.journal.interrupt(session: session, signal: SIGTERM, signalName: "SIGTERM")
        }
        let outcome = try tuner.search(body.run)
        XCTAssertEqual(outcome.stopReason, .interrupted)
        XCTAssertEqual(outcome.signal, SIGTERM)
        XCTAssertEqual(outcome.exitCode(completedTrials: 1), 143)
        let reader = try h.reader()
        XCTAssertEqual(try reader.statuses(), ["COMPLETED", "STOPPED"], "nothing written after the stop")
        XCTAssertEqual(try JournalInvariants.violations(in: reader), [])
    }

    func testS16ALimitSetAfterTheInitializerIsCheckedBeforeAnythingIsWritten() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 3)
        for bad in [0, -1] {
            tuner.limits.maxConsecutiveFailedTrials = bad
            XCTAssertThrowsError(try tuner.search(ScriptedBody().run)) { error in
                XCTAssert(error is SearchConfigurationError, "\(error)")
            }
        }
        tuner.limits.maxConsecutiveFailedTrials = 3
        tuner.limits.maxRetriesPerTrial = -1
        XCTAssertThrowsError(try tuner.search(ScriptedBody().run))
        tuner.limits.maxRetriesPerTrial = Int.max
        XCTAssertThrowsError(try tuner.search(ScriptedBody().run))
        tuner.limits.maxRetriesPerTrial = 0
        tuner.limits.maxTrials = 0
        XCTAssertThrowsError(try tuner.search(ScriptedBody().run))
        XCTAssertEqual(try h.reader().sessions().count, 0, "no session row for refused limits")
        XCTAssertEqual(try h.reader().trials().count, 0)
    }

    func testS28AFailedWriteClosesTheRunningAttemptAndKeepsTheReason() throws {
        let h = Harness()
        let big = ScriptedBody(default: .complete(Array(repeating: 0.5, count: 300)))
        let tuner = try h.tuner(space: try lineSpace(40), maxTrials: 40, options: JournalOptions(maxPageCount: 40))
        XCTAssertThrowsError(try tuner.search(big.run))
        let reader = try h.reader()
        XCTAssertEqual(try reader.sessions().last?.stopReason, .error)
        XCTAssertEqual(try reader.attempts().filter { $0.outcome == nil }.count, 0, "the running attempt is closed")
        XCTAssertEqual(try reader.attempts().last?.outcome, .interrupted)
        XCTAssertEqual(try reader.deathCounts().count, 0, "the search's failure is not the trial's death")
        XCTAssertEqual(try JournalInvariants.violations(in: reader), [])
    }

    func testTheSearchEndsWithTheJournalInOneFile() throws {
        let h = Harness()
        try h.tuner(maxTrials: 3).search(ScriptedBody().run)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.journalPath + "-wal"), "no write-ahead log left (S26b)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.journalPath + "-shm"))
        // The file alone, copied elsewhere, is the whole study.
        let copy = TemporaryDirectory()
        let path = copy.file("journal.sqlite")
        try FileManager.default.copyItem(atPath: h.journalPath, toPath: path)
        XCTAssertEqual(try StudyJournal.openForReading(at: path).trials().count, 3)
    }
}

extension StopPathTests {
    func testASecondSessionOfTheSameTunerWritesInWALModeAgain() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 2)
        try tuner.search(ScriptedBody().run)
        XCTAssertEqual(try tuner.journal.connectionPragmas().journalMode, "delete", "one file between sessions")
        tuner.limits.maxTrials = 4
        let body = ScriptedBody()
        body.onCall = { _ in XCTAssertEqual(try? tuner.journal.connectionPragmas().journalMode, "wal") }
        try tuner.search(body.run)
        XCTAssertEqual(body.calls.count, 2)
    }
}
