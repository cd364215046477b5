import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerTestSupport
import XCTest

/// SEMANTICS sections 3 and 4: statuses (S12–S14), streaks and stops (S15–S21).
final class StatusAndStreakTests: XCTestCase {
    func testS12TheJournalShowsRunningDuringARetryAndNeverAfterAFatalStop() throws {
        let h = Harness()
        let tuner = try h.tuner(retries: 2)
        let body = ScriptedBody { trial, retry in
            if trial == 0 { return retry == 0 ? .error("once") : .complete([1]) }
            return .fatal("stop")
        }
        var seen: [String] = []
        body.onCall = { context in
            seen.append((try? h.reader().trial(context.number)?.status.rawValue) ?? "?")
        }
        XCTAssertThrowsError(try tuner.search(body.run))
        XCTAssertEqual(seen, ["RUNNING", "RUNNING", "RUNNING"])
        XCTAssertEqual(try h.reader().statuses(), ["COMPLETED", "STOPPED"])
    }

    func testS13EveryAttemptKeepsItsErrorAndACompletedTrialShowsNoStaleError() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 1, retries: 2)
        try tuner.search(ScriptedBody { _, retry in retry < 2 ? .error("failure \(retry)") : .complete([0.1]) }.run)
        let attempts = try h.reader().attempts()
        XCTAssertEqual(attempts.map(\.message), ["failure 0", "failure 1", nil])
        XCTAssertEqual(attempts.map(\.errorType), ["ValueError", "ValueError", nil])
        XCTAssert(attempts[0].trace?.contains("failure 0") ?? false)
        let trial = try XCTUnwrap(try h.reader().trials().first)
        XCTAssertNil(trial.message)
        XCTAssertNil(trial.errorType)
    }

    func testS14BestTrialsRankCompletedTrialsOnly() throws {
        let h = Harness()
        let tuner = try h.tuner(limit: nil)
        try tuner.search(
            ScriptedBody { trial, _ in
                [0: .complete([0.5]), 1: .error("x"), 2: .complete([0.2]), 3: .failedTrial("y"), 4: .complete([0.9])][
                    trial]
            }.run)
        XCTAssertEqual(try tuner.getBestTrials(numTrials: 5).map(\.trialID), ["0002", "0000", "0004"])
        XCTAssertEqual(try tuner.getBestHyperParameters().first?["x"], .int(2))

        let none = Harness()
        let failing = try none.tuner(limit: nil)
        try failing.search(ScriptedBody(default: .error("always")).run)
        XCTAssertEqual(try failing.getBestTrials().count, 0)
        XCTAssertEqual(try failing.getBestHyperParameters().count, 0)
    }

    func testS15TheStreakCountsTrailingFailedTrialsOnly() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 5, retries: 1, limit: nil)
        // F, C (after a retry), F, F, then trial 4 completes.
        try tuner.search(
            ScriptedBody { trial, retry in
                switch trial {
                case 0, 2, 3: .failedTrial("no")
                case 1: retry == 0 ? .error("flaky") : .complete([1])
                default: .complete([1])
                }
            }.run)
        XCTAssertEqual(try h.reader().derivedStreak(), 0)
        XCTAssertEqual(try h.reader().study().streak, 0)

        let g = Harness()
        let second = try g.tuner(maxTrials: 4, limit: nil)
        try second.search(ScriptedBody { trial, _ in trial == 0 ? .complete([1]) : .failedTrial("no") }.run)
        XCTAssertEqual(try g.reader().derivedStreak(), 3)
        XCTAssertEqual(try g.reader().study().streak, 3)
    }

    func testS16AndS17TheLimitStopsAtOrAboveWithTheFailedTrialJournaled() throws {
        let h = Harness()
        let tuner = try h.tuner(space: try lineSpace(10), limit: 3)
        let outcome = try tuner.search(
            ScriptedBody { trial, _ in trial == 0 ? .complete([1]) : .error("bad model \(trial)") }.run)
        XCTAssertEqual(outcome.stopReason, .consecutiveFailures)
        let message = try XCTUnwrap(outcome.message)
        XCTAssert(message.contains("reached"), message)
        XCTAssert(message.contains("limit of 3"), message)
        XCTAssert(message.contains("0001, 0002, 0003"), message)
        XCTAssert(message.hasSuffix("ValueError: bad model 3"), message)
        XCTAssertEqual(try h.reader().statuses(), ["COMPLETED", "FAILED", "FAILED", "FAILED"])
        XCTAssertEqual(try h.reader().sessions().last?.stopReason, .consecutiveFailures)
        // The console ends with the stop message, then the study's total time again.
        XCTAssertEqual(h.output.lines.suffix(2).first, message)
        XCTAssert(h.output.lines.last?.hasPrefix("Total elapsed time: ") ?? false)
    }

    func testS16NilDisablesTheLimitAndZeroIsAUsageError() throws {
        let h = Harness()
        let tuner = try h.tuner(limit: nil)
        XCTAssertEqual(try tuner.search(ScriptedBody(default: .error("x")).run).stopReason, .completed)
        XCTAssertEqual(try h.reader().trials().count, 5)
        for bad in [0, -1] {
            XCTAssertThrowsError(try Harness().tuner(limit: bad)) { error in
                XCTAssert(error is SearchConfigurationError)
                XCTAssert("\(error)".contains("maxConsecutiveFailedTrials"))
            }
        }
    }

    func testS18TheStreakSurvivesAResumeAndATamperedCacheIsRefused() throws {
        let h = Harness()
        do {
            let first = try h.tuner(space: try lineSpace(10), maxTrials: 2, limit: 3)
            try first.search(ScriptedBody(default: .error("x")).run)
        }
        XCTAssertEqual(try h.reader().study().streak, 2)
        do {
            let second = try h.tuner(space: try lineSpace(10), maxTrials: 10, limit: 3)
            let outcome = try second.search(ScriptedBody(default: .error("x")).run)
            XCTAssertEqual(outcome.stopReason, .consecutiveFailures)
        }
        XCTAssertEqual(try h.reader().trials().count, 3, "the third failure in a row stops, across sessions")

        // Tamper with the cached streak: the open is refused and the file is untouched.
        try ForeignEdit.execute(h.journalPath, "UPDATE study SET streak = 0")
        let before = try Data(contentsOf: URL(fileURLWithPath: h.journalPath))
        XCTAssertThrowsError(try h.tuner(space: try lineSpace(10))) { error in
            XCTAssertEqual((error as? JournalError)?.kind, .corrupted)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: h.journalPath)), before)
    }

    func testS19AResumedSearchUsesTheNewLimitOnlyWhenATrialEnds() throws {
        let h = Harness()
        let first = try h.tuner(space: try lineSpace(10), maxTrials: 3, limit: 5)
        try first.search(ScriptedBody(default: .error("x")).run)
        XCTAssertEqual(try h.reader().study().streak, 3)
        _ = consume first
        // Limit 2 now, below the old streak of 3: the next trial completes, so nothing fires.
        let second = try h.tuner(space: try lineSpace(10), maxTrials: 5, limit: 2)
        let outcome = try second.search(ScriptedBody { trial, _ in trial == 3 ? .complete([1]) : .error("y") }.run)
        // Trial 3 completes (streak 0), trial 4 fails (streak 1 < 2): the search completes.
        XCTAssertEqual(outcome.stopReason, .completed)
        XCTAssertEqual(try h.reader().trials().count, 5)
    }

    func testS20AFatalErrorIsJournaledAndItsTrialRerunFirstOnResume() throws {
        let h = Harness()
        let tuner = try h.tuner()
        XCTAssertThrowsError(try tuner.search(ScriptedBody { trial, _ in trial == 2 ? .fatal("broken") : nil }.run)) {
            error in
            XCTAssertEqual((error as? FatalError)?.message, "broken")
        }
        let attempt = try XCTUnwrap(try h.reader().attempts(ofTrial: 2).first)
        XCTAssertEqual(attempt.outcome, .fatal)
        XCTAssertEqual(attempt.errorType, "FatalError")
        XCTAssert(attempt.trace?.contains("broken") ?? false)
        XCTAssertEqual(try h.reader().statuses(), ["COMPLETED", "COMPLETED", "STOPPED"])
        _ = consume tuner
        let resumed = try h.tuner()
        let body = ScriptedBody()
        try resumed.search(body.run)
        XCTAssertEqual(body.calls.map(\.trial), [2, 3, 4])
        XCTAssertEqual(try h.reader().statuses(), Array(repeating: "COMPLETED", count: 5))
    }

    func testS21EverySessionEndsWithAStopReason() throws {
        let h = Harness()
        try h.tuner(space: try lineSpace(20), maxTrials: 1).search(ScriptedBody().run)  // completed
        // limit
        try h.tuner(space: try lineSpace(20), maxTrials: 5, limit: 1).search(ScriptedBody(default: .error("x")).run)
        _ = try? h.tuner(space: try lineSpace(20), maxTrials: 9, limit: nil).search(
            ScriptedBody(default: .fatal("f")).run)
        try h.simulateDeath(rerunning: 2, space: try lineSpace(20))  // interrupted
        let full = try h.tuner(
            space: try lineSpace(20), maxTrials: 20, limit: nil,
            options: JournalOptions(maxPageCount: 1))  // error
        XCTAssertThrowsError(try full.search(ScriptedBody(default: .complete(Array(repeating: 0.5, count: 400))).run))
        _ = consume full
        let reasons = try h.reader().sessions().map(\.stopReason?.rawValue)
        XCTAssertEqual(Array(reasons.prefix(4)), ["completed", "consecutiveFailures", "fatal", "interrupted"])
        XCTAssert(reasons.allSatisfy { $0 != nil })
    }
}
