import TunerCore
import TunerJournal
import TunerEngine
import TunerTestSupport
import XCTest

/// SEMANTICS section 2: attempt outcomes (S1–S11).
final class AttemptOutcomeTests: XCTestCase {
    func testS1FiniteObjectiveCompletesWithTheBestEpoch() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 1)
        let outcome = try tuner.search(ScriptedBody(default: .complete([0.9, 0.3, 0.5])).run)
        XCTAssertEqual(outcome.stopReason, .completed)
        let trial = try XCTUnwrap(try h.reader().trials().first)
        XCTAssertEqual(trial.status, .completed)
        XCTAssertEqual(trial.score, 0.3)
        XCTAssertEqual(trial.bestEpoch, 1)
        let attempt = try XCTUnwrap(try h.reader().attempts().first)
        XCTAssertEqual(attempt.outcome, .completed)
        XCTAssertTrue(attempt.counted)
        XCTAssertEqual(
            try h.reader().epochMetrics(ofAttempt: attempt.id!).filter { $0.name == "val_loss" }.map(\.value),
            [0.9, 0.3, 0.5])
    }

    func testS2FailedTrialErrorIsNeverRetried() throws {
        struct Definite: NonRetryableTrialError {}
        let errors: [any Error] = [FailedTrialError("no"), Definite()]
        for failure in errors {
            let h = Harness()
            let tuner = try h.tuner(maxTrials: 1, retries: 3)
            try tuner.search { _ in throw failure }
            let attempts = try h.reader().attempts()
            XCTAssertEqual(attempts.count, 1)
            XCTAssertEqual(attempts[0].outcome, .failed)
            XCTAssertTrue(attempts[0].counted)
            XCTAssertEqual(try h.reader().statuses(), ["FAILED"])
        }
    }

    func testS3PlainErrorsAreRetriedWhileRetriesRemain() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 2, retries: 2, limit: nil)
        // Trial 0 always fails; trial 1 fails once, then completes.
        try tuner.search(
            ScriptedBody { trial, retry in
                trial == 0 || retry == 0 ? .error("boom \(trial).\(retry)") : .complete([0.2])
            }.run)
        let attempts = try h.reader().attempts()
        XCTAssertEqual(attempts.filter { $0.trial == 0 }.map(\.outcome?.rawValue), ["error", "error", "error"])
        XCTAssertEqual(attempts.filter { $0.trial == 1 }.map(\.outcome?.rawValue), ["error", "completed"])
        XCTAssertEqual(try h.reader().statuses(), ["FAILED", "COMPLETED"])
    }

    func testS4NonFiniteObjectiveIsInvalidAndRetried() throws {
        for bad in [Double.nan, .infinity, -.infinity] {
            let h = Harness()
            let tuner = try h.tuner(maxTrials: 1, retries: 1)
            try tuner.search(ScriptedBody { _, retry in retry == 0 ? .complete([bad]) : .complete([0.4]) }.run)
            XCTAssertEqual(try h.reader().attempts().map(\.outcome?.rawValue), ["invalid", "completed"])
            XCTAssertEqual(try h.reader().trials().first?.score, 0.4)
        }
    }

    func testS5EveryFatalTypeStopsTheSearchAndReachesTheCaller() throws {
        struct OutOfBudget: FatalSearchError {}
        let fatals: [any Error] = [
            FatalError("a"), FatalValueError("b"), FatalTypeError("c"), FatalRuntimeError("d"), OutOfBudget(),
        ]
        for fatal in fatals {
            let h = Harness()
            let tuner = try h.tuner(retries: 3)
            XCTAssertThrowsError(
                try tuner.search { context in
                    if context.number == 1 { throw fatal }
                    return TrialResult(metrics: ["val_loss": 1])
                }
            ) { error in
                XCTAssertEqual(String(describing: type(of: error)), String(describing: type(of: fatal)))
            }
            let attempts = try h.reader().attempts()
            XCTAssertEqual(attempts.map(\.outcome?.rawValue), ["completed", "fatal"])
            XCTAssertFalse(attempts[1].counted)
            XCTAssertEqual(try h.reader().statuses(), ["COMPLETED", "STOPPED"])
            XCTAssertEqual(try h.reader().sessions().last?.stopReason, .fatal)
        }
    }

    func testS6AndS7AnInterruptedAttemptIsRerunFirstWithoutUsingARetry() throws {
        let h = Harness()
        try h.simulateDeath(runningNewTrial: 0, values: ["x": .int(0)])
        let tuner = try h.tuner(maxTrials: 2, retries: 1)
        let body = ScriptedBody { _, retry in retry == 0 ? .error("once") : nil }
        try tuner.search(body.run)
        XCTAssertEqual(body.calls.first?.trial, 0, "the interrupted trial runs first")
        let attempts = try h.reader().attempts(ofTrial: 0)
        XCTAssertEqual(attempts.map(\.outcome?.rawValue), ["interrupted", "error", "completed"])
        XCTAssertEqual(attempts.map(\.counted), [false, true, true])
        XCTAssertEqual(try h.reader().statuses(), ["COMPLETED", "COMPLETED"])
    }

    func testS7ATrialFoundDeadTooOftenIsMarkedFailed() throws {
        let h = Harness()
        try h.simulateDeath(runningNewTrial: 0, values: ["x": .int(0)])
        try h.simulateDeath(rerunning: 0)
        try h.simulateDeath(rerunning: 0)
        let tuner = try h.tuner(maxTrials: 2, interruptions: 3)
        try tuner.search(ScriptedBody().run)
        let trial = try XCTUnwrap(try h.reader().trial(0))
        XCTAssertEqual(trial.status, .failed)
        XCTAssertEqual(trial.message, "interrupted 3 times: the process died while running this trial")
        XCTAssertEqual(
            try h.reader().attempts(ofTrial: 0).map(\.outcome?.rawValue), ["interrupted", "interrupted", "interrupted"])
        XCTAssertEqual(try h.reader().statuses(), ["FAILED", "COMPLETED"])
    }

    func testS7GracefulStopsNeverCountAndNoneDisablesTheLimit() throws {
        let h = Harness()
        try h.simulateDeath(runningNewTrial: 0, values: ["x": .int(0)])
        for _ in 0..<3 {
            let tuner = try h.tuner()
            _ = try tuner.journal.recover()
            let session = try tuner.journal.startSession(limits: "{}", pid: 1, host: "h")
            _ = try tuner.journal.startAttempt(trial: 0, session: session.id!)
            try tuner.journal.interrupt(session: session.id!, signal: SIGINT, signalName: "SIGINT")
        }
        XCTAssertEqual(try h.reader().deathCounts()[0], 1)
        try h.simulateDeath(rerunning: 0)
        try h.simulateDeath(rerunning: 0)
        let tuner = try h.tuner(maxTrials: 1, interruptions: nil)
        try tuner.search(ScriptedBody().run)
        XCTAssertEqual(try h.reader().statuses(), ["COMPLETED"])
    }

    func testS8RetryMessagesAndExactlyRPlusOneAttempts() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 1, retries: 3)
        try tuner.search(ScriptedBody(default: .error("Model too large!")).run)
        XCTAssertEqual(try h.reader().attempts().count, 4)
        let lines = h.output.lines
        XCTAssert(lines.contains("Trial 0000 failed 1 times. 3 retries left."))
        XCTAssert(lines.contains("Trial 0000 failed 3 times. 1 retries left."))
        XCTAssert(lines.contains("Trial 0000 failed 4 times. No retries left: marked FAILED."))
    }

    func testS9ARetryKeepsIdValuesAndSeedAndItsResultCounts() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 1, retries: 2)
        let body = ScriptedBody { _, retry in retry == 0 ? .complete([.nan]) : .complete([0.25]) }
        try tuner.search(body.run)
        XCTAssertEqual(body.calls.count, 2)
        XCTAssertEqual(body.calls[0].trial, body.calls[1].trial)
        XCTAssertEqual(body.calls[0].seed, body.calls[1].seed)
        XCTAssertEqual(body.calls[0].values, body.calls[1].values)
        XCTAssertEqual(try h.reader().trials().first?.score, 0.25)
    }

    func testS10RetriesTakeNoSlotOfMaxTrials() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 3, retries: 2, limit: nil)
        try tuner.search(ScriptedBody { trial, retry in retry < 2 ? .error("flaky") : nil }.run)
        XCTAssertEqual(try h.reader().trials().count, 3)
        XCTAssertEqual(try h.reader().attempts().count, 9)
    }

    func testS11AMissingObjectiveStopsTheSearchNamingTheMetrics() throws {
        let h = Harness()
        let tuner = try h.tuner(retries: 3, objective: "val_accuracy")
        XCTAssertThrowsError(try tuner.search(ScriptedBody(default: .metrics(["loss": 1, "val_loss": 2])).run)) {
            error in
            let text = "\(error)"
            XCTAssert(error is ObjectiveNotFoundError)
            XCTAssert(
                text.contains("\"val_accuracy\"") && text.contains("\"loss\"") && text.contains("\"val_loss\""), text)
        }
        XCTAssertEqual(try h.reader().attempts().count, 1, "not retried")
        XCTAssertEqual(try h.reader().sessions().last?.stopReason, .fatal)
    }
}
