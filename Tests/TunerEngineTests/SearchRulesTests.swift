@testable import TunerEngine
import TunerCore
import TunerJournal
import XCTest

/// The search rules as pure functions: no journal, no console, no process.
final class SearchRulesTests: XCTestCase {
    let objective: Objective = "val_loss"

    func verdict(_ result: SearchRules.BodyResult) -> SearchRules.Verdict {
        SearchRules.classify(result, objective: objective, duration: 0.5)
    }

    func testS1AFiniteObjectiveCompletesAtItsBestEpoch() {
        let end = verdict(.success(TrialResult(history: [["val_loss": 0.4], ["val_loss": 0.2], ["val_loss": 0.3]]))).end
        XCTAssertEqual(end.outcome, .completed)
        XCTAssertEqual(end.score, 0.2)
        XCTAssertEqual(end.bestEpoch, 1)
        XCTAssertEqual(end.trialStatus, .completed)
        XCTAssertEqual(end.duration, 0.5)
    }

    func testS2ANonRetryableErrorFailsAndS3AnyOtherIsAnError() {
        XCTAssertEqual(verdict(.failure(FailedTrialError("too big"))).end.outcome, .failed)
        let plain = verdict(.failure(ValueError("boom"))).end
        XCTAssertEqual(plain.outcome, .error)
        XCTAssertEqual(plain.errorType, "ValueError")
        XCTAssertEqual(plain.message, "boom")
    }

    func testS4ANonFiniteObjectiveIsInvalid() {
        let end = verdict(.success(TrialResult(metrics: ["val_loss": .nan]))).end
        XCTAssertEqual(end.outcome, .invalid)
        XCTAssertEqual(end.errorType, "InvalidObjective")
        XCTAssertNil(verdict(.success(TrialResult(metrics: ["val_loss": .infinity]))).stopMessage)
    }

    func testS5AFatalErrorAndS11AMissingObjectiveStopTheSearch() {
        let fatal = verdict(.failure(FatalError("out of budget")))
        XCTAssertEqual(fatal.end.outcome, .fatal)
        XCTAssertEqual(fatal.end.trialStatus, .stopped)
        XCTAssertEqual(fatal.stopMessage, "FatalError: out of budget")
        let missing = verdict(.success(TrialResult(metrics: ["loss": 1])))
        XCTAssertEqual(missing.end.outcome, .fatal)
        XCTAssertEqual(missing.end.errorType, "ObjectiveNotFoundError")
        XCTAssert(missing.stopMessage?.contains("\"loss\"") ?? false, missing.stopMessage ?? "")
    }

    func testKerasTunersFatalErrorsAreJournaledUnderTheirNames() {
        XCTAssertEqual(verdict(.failure(FatalValueError("b"))).end.errorType, "FatalValueError")
        XCTAssertEqual(verdict(.failure(FatalTypeError("c"))).end.errorType, "FatalTypeError")
        XCTAssertEqual(verdict(.failure(FatalRuntimeError("d"))).end.errorType, "FatalRuntimeError")
        XCTAssertEqual(verdict(.failure(FatalRuntimeError("d"))).stopMessage, "FatalRuntimeError: d")
        XCTAssertEqual(verdict(.failure(FatalError("a"))).end.errorType, "FatalError")
    }

    func testS6aSearchErrorsAreNeverAnAttemptsEnd() {
        XCTAssert(SearchRules.isSearchError(JournalError(.writeFailed, path: "j", "disk full")))
        XCTAssert(SearchRules.isSearchError(TrialDirectoryError(path: "t", reason: "read-only")))
        XCTAssert(SearchRules.isSearchError(SearchInterruptedError(signal: SIGINT, signalName: "SIGINT", session: 1)))
        XCTAssertFalse(SearchRules.isSearchError(ValueError("boom")))
    }

    func testS7AndS8RetriesThenFailed() {
        // maxRetriesPerTrial 2: three counted attempts in all.
        XCTAssertEqual(SearchRules.trialStatus(after: .error, countedBefore: 0, maxRetriesPerTrial: 2), .invalid)
        XCTAssertEqual(SearchRules.trialStatus(after: .invalid, countedBefore: 1, maxRetriesPerTrial: 2), .invalid)
        XCTAssertEqual(SearchRules.trialStatus(after: .error, countedBefore: 2, maxRetriesPerTrial: 2), .failed)
        XCTAssertEqual(SearchRules.trialStatus(after: .failed, countedBefore: 0, maxRetriesPerTrial: 2), .failed)
        XCTAssertEqual(SearchRules.trialStatus(after: .completed, countedBefore: 2, maxRetriesPerTrial: 2), .completed)
        XCTAssertEqual(SearchRules.trialStatus(after: .interrupted, countedBefore: 0, maxRetriesPerTrial: 0), .stopped)
        XCTAssertEqual(SearchRules.retriesLeft(counted: 1, maxRetriesPerTrial: 2), 2)
        XCTAssertEqual(SearchRules.retriesLeft(counted: 9, maxRetriesPerTrial: 2), 0)
        XCTAssert(SearchRules.diedTooOften(deaths: 3, limit: 3))
        XCTAssertFalse(SearchRules.diedTooOften(deaths: 2, limit: 3))
        XCTAssertFalse(SearchRules.diedTooOften(deaths: 100, limit: nil))
    }

    func testS16AndS19TheStreakStopsAtTheLimitWithTheFailedRunNamed() throws {
        var reads = 0
        let below = SearchRules.streakStop(
            streak: 2, limit: 3,
            failedRun: {
                reads += 1; return []
            }, lastError: "E: x")
        XCTAssertNil(below)
        XCTAssertEqual(reads, 0, "the failed run is read only when the limit is reached")
        XCTAssertNil(SearchRules.streakStop(streak: 50, limit: nil, failedRun: { ["0001"] }, lastError: "E: x"))
        let stop = try XCTUnwrap(
            SearchRules.streakStop(
                streak: 3, limit: 3, failedRun: { ["0004", "0005", "0006"] },
                lastError: "ValueError: boom"))
        XCTAssertEqual(stop.reason, .consecutiveFailures)
        XCTAssert(stop.message.contains("limit of 3"))
        XCTAssert(stop.message.contains("trials 0004, 0005, 0006 failed in a row"))
        XCTAssert(stop.message.hasSuffix("The last error was: ValueError: boom"))
    }

    func testTheLimitsAreOneValueThatRoundTripsThroughTheJournalsForm() throws {
        let limits = SearchLimits(maxTrials: 7, maxRetriesPerTrial: 2, maxConsecutiveFailedTrials: nil)
        XCTAssertEqual(
            limits.json,
            #"{"maxConsecutiveFailedTrials":null,"maxInterruptionsPerTrial":3,"maxRetriesPerTrial":2,"maxTrials":7}"#)
        XCTAssertEqual(try SearchLimits(json: limits.json), limits)
        XCTAssertEqual(
            try SearchLimits(json: "{}"), SearchLimits(maxConsecutiveFailedTrials: nil, maxInterruptionsPerTrial: nil))
        XCTAssertThrowsError(try SearchLimits(maxTrials: 0).validate())
        XCTAssertThrowsError(try SearchLimits(maxRetriesPerTrial: SearchLimits.maxRetriesLimit + 1).validate())
    }
}
