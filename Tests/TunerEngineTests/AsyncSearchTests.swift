import TunerCore
import TunerEngine
import TunerJournal
import TunerTestSupport
import XCTest

/// The asynchronous search runs the loop the synchronous one runs (S1–S20): the same
/// script gives the same journal, attempt for attempt, whichever entry point runs it.
final class AsyncSearchTests: XCTestCase {
    /// A script that touches every rule the loop sequences: a completed trial, an INVALID
    /// attempt retried (S4), a plain error retried (S3), a FailedTrialError (S2), and a
    /// streak of FAILED trials that stops the search (S16–S17).
    static func script(_ trial: Int, _ retry: Int) -> ScriptedAction? {
        switch (trial, retry) {
        case (1, 0): .complete([.nan])
        case (2, 0): .error("flaky")
        case (3, _): .failedTrial("never")
        case (4, _), (5, _): .error("broken \(trial)")
        default: nil
        }
    }

    func journalOf(_ run: (Harness) async throws -> SearchOutcome) async throws -> ([TrialSummary], SearchOutcome) {
        let h = Harness()
        let outcome = try await run(h)
        return (try summaries(try h.reader()), outcome)
    }

    func testS1toS17TheAwaitedLoopJournalsWhatTheBlockingOneDoes() async throws {
        let (blocking, blockingOutcome) = try await journalOf { h in
            let tuner = try h.tuner(
                oracle: RandomSearchOracle(), space: try lineSpace(1000), maxTrials: 9, retries: 1, limit: 3)
            return try tuner.search(ScriptedBody(default: .complete([0.5]), Self.script).run)
        }
        let (awaited, awaitedOutcome) = try await journalOf { h in
            let tuner = try h.tuner(
                oracle: RandomSearchOracle(), space: try lineSpace(1000), maxTrials: 9, retries: 1, limit: 3)
            let body = ScriptedBody(default: .complete([0.5]), Self.script)
            return try await tuner.search { (context: TrialContext) async throws -> TrialResult in
                await Task.yield()
                return try body.run(context)
            }
        }
        XCTAssertEqual(awaited, blocking)
        XCTAssertEqual(awaitedOutcome.stopReason, blockingOutcome.stopReason)
        XCTAssertEqual(awaitedOutcome.message, blockingOutcome.message)
        // The script did reach every rule: INVALID then COMPLETED, a retried error, FAILED ones, a stop.
        XCTAssertEqual(awaited.map(\.status), ["COMPLETED", "COMPLETED", "COMPLETED", "FAILED", "FAILED", "FAILED"])
        XCTAssertEqual(awaited[1].counted, ["invalid", "completed"])
        XCTAssertEqual(awaited[2].counted, ["error", "completed"])
        XCTAssertEqual(awaitedOutcome.stopReason, .consecutiveFailures)
    }

    func testS20AFatalErrorFromAnAwaitedAttemptIsJournaledAndReachesTheCaller() async throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 5, retries: 2)
        do {
            try await tuner.search { (context: TrialContext) async throws -> TrialResult in
                try await Task.sleep(nanoseconds: 1_000_000)
                if context.number == 1 { throw FatalError("out of budget") }
                return TrialResult(metrics: ["val_loss": 1])
            }
            XCTFail("the fatal error did not reach the caller")
        } catch let error as FatalError {
            XCTAssertEqual(error.message, "out of budget")
        }
        XCTAssertEqual(try h.reader().attempts().map(\.outcome?.rawValue), ["completed", "fatal"])
        XCTAssertEqual(try h.reader().statuses(), ["COMPLETED", "STOPPED"])
        XCTAssertEqual(try h.reader().sessions().last?.stopReason, .fatal)
    }
}
