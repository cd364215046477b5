import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerReports
import TunerKerasImport
import TunerSamples
import TunerTrainer
import TunerTrainerCompat
import TunerTestSupport
import XCTest

/// Reports a user can trust: a running search shown as running, the stop said in words, the
/// times and counts of a live study, JUnit sentences and attempts, long curves kept linear.
final class TrustedReportTests: XCTestCase {
    let directory = TemporaryDirectory()

    /// A GridSearch of 5 trials journaled by hand: two ended, the third running, the session open.
    func liveJournal() throws -> (writer: StudyJournal, path: String) {
        let path = Tuner.journalPath(directory: directory.path, projectName: "live")
        let journal = try StudyJournal.open(
            at: path,
            study: StudyDescriptor(
                name: "live", directory: directory.path, tunerKind: "GridSearch",
                objective: Objective("val_loss", direction: .min),
                seed: 1, space: try lineSpace(5).space))
        let session = try journal.startSession(limits: #"{"maxTrials":5}"#, pid: 1, host: "h")
        for n in 0..<2 {
            let (_, attempt) = try journal.createTrial(number: n, values: ["x": .int(n)], seed: 1, session: session.id!)
            try journal.finishAttempt(
                attempt,
                AttemptEnd(
                    outcome: n == 0 ? .completed : .failed, errorType: n == 0 ? nil : "FailedTrialError",
                    message: n == 0 ? nil : "bad", duration: 1, score: n == 0 ? 0.5 : nil,
                    metrics: n == 0 ? ["val_loss": 0.5] : [:],
                    epochs: n == 0 ? [["val_loss": 0.7, "loss": 0.9], ["val_loss": 0.5, "loss": 0.6]] : [],
                    trialStatus: n == 0 ? .completed : .failed))
        }
        _ = try journal.createTrial(number: 2, values: ["x": .int(2)], seed: 1, session: session.id!)
        return (journal, path)
    }

    func testARunningSearchIsShownAsRunningWithItsPlannedTrialsAndLiveTime() throws {
        let (writer, path) = try liveJournal()
        let snapshot = try StudySnapshot(journal: try StudyJournal.openForReading(at: path))
        XCTAssertEqual(snapshot.statusInWords, "running")
        XCTAssertEqual(snapshot.notRunCount, 2, "trials 0003 and 0004 are still planned")
        XCTAssertGreaterThan(snapshot.totalTime, 0, "the live session counts up to its last activity")
        let html = HTMLReport(snapshot: snapshot).render()
        XCTAssert(html.contains("<dt>Running</dt><dd>1</dd>"), "the running trial is counted as running")
        XCTAssert(html.contains("class=\"s-running\""), "drawn as running, not as failed or stopped")
        XCTAssert(html.contains("<title>Trial 0002: running</title>"))
        XCTAssert(html.contains("<dt>Not run</dt><dd>2</dd>"))
        XCTAssert(html.contains("<dt>First started</dt>") && html.contains("<dt>Last activity</dt>"))
        let junit = String(decoding: try JUnitReport(snapshots: [snapshot]).document(), as: UTF8.self)
        XCTAssert(junit.contains("not run yet: the search is still running"), junit)
        _ = writer
    }

    /// A study of 40 trials: every fourth fails for good (two error types), every third of the
    /// others completes after a retry.
    func failingStudy() throws -> StudySnapshot {
        let tuner = try Tuner(
            oracle: RandomSearchOracle(), objective: "val_loss", hyperparameters: try lineSpace(1000),
            configuration: TunerConfiguration(
                directory: directory.path, projectName: "failing", maxTrials: 40, maxRetriesPerTrial: 1,
                maxConsecutiveFailedTrials: nil, seed: 3, verbose: 0),
            output: CapturedOutput())
        tuner.handlesSignals = false
        try tuner.search(
            ScriptedBody { trial, retry in
                if trial % 4 == 0 { return trial % 8 == 0 ? .error("disk \(trial)") : .failedTrial("shape \(trial)") }
                return trial % 3 == 0 && retry == 0 ? .error("flaky \(trial)") : .complete([Double(trial)])
            }.run)
        return try StudySnapshot(
            journal: try StudyJournal.openForReading(
                at: Tuner.journalPath(directory: directory.path, projectName: "failing")))
    }

    func testABigStudysTableAndFailuresAreBoundedAndSaySo() throws {
        let snapshot = try failingStudy()
        let html = HTMLReport(snapshot: snapshot, tableLimit: 10, failureLimit: 4, tracesPerType: 2).render()
        let table = try XCTUnwrap(html.range(of: "<section id=\"trials\"")).lowerBound
        let failures = try XCTUnwrap(html.range(of: "<section id=\"failures\"")).lowerBound
        let trials = String(html[table..<failures])
        XCTAssertEqual(trials.components(separatedBy: "<tr id=\"trial-").count - 1, 10)
        XCTAssert(trials.contains("The best 5 of 30 completed trials, then 5 of the 10 others by id: 10 of 40 trials."))
        XCTAssert(trials.contains("<tr id=\"trial-0001\">"), "the best trial (its value is 1) is listed first")
        XCTAssert(trials.contains("<tr id=\"trial-0000\">"), "the failed trials follow by id")
        let section = String(html[failures...])
        XCTAssertEqual(section.components(separatedBy: "<details>").count - 1, 4)
        XCTAssert(section.contains("The attempts of 4 of the 20 trials with a failed attempt, failed trials first."))
        // The error types: ValueError (retried: 5 trials × 2 attempts + 10 flaky attempts), FailedTrialError (5).
        XCTAssert(section.contains("<th scope=\"row\">ValueError</th><td>20</td><td>15</td>"), section)
        XCTAssert(section.contains("<th scope=\"row\">FailedTrialError</th><td>5</td><td>5</td>"), section)
        XCTAssertLessThan(
            try XCTUnwrap(section.range(of: ">ValueError<")).lowerBound,
            try XCTUnwrap(section.range(of: ">FailedTrialError<")).lowerBound, "the most frequent type first")
        XCTAssertEqual(section.components(separatedBy: "<pre>").count - 1, 4, "two traces per error type")
        XCTAssert(section.contains("Later ValueError traces are left out (2 shown)"))
        // Without limits, everything is listed as before.
        let full = HTMLReport(snapshot: snapshot).render()
        XCTAssert(full.contains("All 40 trials, best first, then the others by id"))
        XCTAssertEqual(full.components(separatedBy: "<details>").count - 1, 20)
    }

    func testAStudyReadForItsPageAloneGivesThePageOfTheWholeStudy() throws {
        let whole = try failingStudy()
        let journal = try StudyJournal.openForReading(
            at: Tuner.journalPath(directory: directory.path, projectName: "failing"))
        let summary = try StudySnapshot(journal: journal, reading: .summary(tracesPerErrorType: 2))
        XCTAssertEqual(
            HTMLReport(snapshot: summary, tracesPerType: 2).render(),
            HTMLReport(snapshot: whole, tracesPerType: 2).render())
        XCTAssertEqual(
            HTMLReport(snapshot: try StudySnapshot(journal: journal, reading: .html)).render(),
            HTMLReport(snapshot: whole).render())
        func traces(_ snapshot: StudySnapshot) -> Int { snapshot.attempts.values.joined().count { $0.trace != nil } }
        XCTAssertEqual(traces(summary), 4, "two of each error type, no more")
        XCTAssertGreaterThan(traces(whole), 4)
        XCTAssert(summary.attempts.values.joined().allSatisfy { $0.metrics == nil })
    }

    func testTheStopIsSaidInWordsWithItsMessage() throws {
        let tuner = try Tuner(
            oracle: GridSearchOracle(), objective: "val_loss", hyperparameters: try lineSpace(6),
            configuration: TunerConfiguration(
                directory: directory.path, projectName: "stopped", maxConsecutiveFailedTrials: 2, verbose: 0),
            output: CapturedOutput())
        tuner.handlesSignals = false
        try tuner.search(ScriptedBody(default: .failedTrial("too big")).run)
        let snapshot = try StudySnapshot(journal: tuner.journal)
        let html = HTMLReport(snapshot: snapshot).render()
        XCTAssert(
            html.contains("<dd>stopped: consecutive-failure limit reached</dd>"), "words, not consecutiveFailures")
        XCTAssertFalse(html.contains("(consecutiveFailures)"))
        XCTAssert(html.contains("Why it stopped: </strong>Number of consecutive failures reached the limit of 2"))
        let junit = String(decoding: try JUnitReport(snapshots: [snapshot]).document(), as: UTF8.self)
        XCTAssert(junit.contains("not run: the search reached its consecutive-failure limit in trial-0001"), junit)
        XCTAssert(junit.contains("attempt 1/1: failed in "), "system-out lists every attempt: \(junit)")
        XCTAssert(junit.contains("— FailedTrialError: too big"), junit)
    }

    func testEveryStopReasonHasASentenceForTheTrialsNotRun() throws {
        for (reason, expected) in [
            (StopReason.interrupted, "not run: the search was interrupted; it runs when the search is resumed"),
            (.error, "not run: the search stopped on an error; it runs when the search is resumed"),
        ] {
            let (writer, path) = try liveJournal()
            let session = try XCTUnwrap(try writer.sessions().last?.id)
            if reason == .interrupted {
                try writer.interrupt(session: session, signal: SIGINT, signalName: "SIGINT")
            } else {
                try writer.abandon(session: session, message: "disk full")
            }
            let junit = String(
                decoding: try JUnitReport(snapshots: [
                    try StudySnapshot(journal: try StudyJournal.openForReading(at: path))
                ]).document(),
                as: UTF8.self)
            XCTAssert(junit.contains(expected), "\(reason): \(junit)")
            try FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
        }
    }

    func testALongLearningCurveStaysASmallPath() throws {
        let path = Tuner.journalPath(directory: directory.path, projectName: "long")
        let journal = try StudyJournal.open(
            at: path,
            study: StudyDescriptor(
                name: "long", directory: directory.path, tunerKind: "GridSearch",
                objective: Objective("val_loss", direction: .min),
                seed: 1, space: try lineSpace(1).space))
        let session = try journal.startSession(limits: "{}", pid: 1, host: "h")
        let (_, attempt) = try journal.createTrial(number: 0, values: ["x": .int(0)], seed: 1, session: session.id!)
        let epochs = (0..<100_000).map { ["val_loss": 1 / Double($0 + 1)] }
        try journal.finishAttempt(
            attempt,
            AttemptEnd(
                outcome: .completed, duration: 1, score: 1e-5, metrics: ["val_loss": 1e-5],
                epochs: epochs, trialStatus: .completed))
        let snapshot = try StudySnapshot(journal: journal)
        XCTAssertEqual(snapshot.curves.first?.value.count, 100_000)
        let html = HTMLReport(snapshot: snapshot).render()
        let curve = try XCTUnwrap(
            html.components(separatedBy: "<path d=\"").dropFirst().first {
                $0.contains("class=\"bestline\"><title>Trial 0000")
            })
        let points = curve.prefix { $0 != "\"" }.filter { $0 == "L" }.count + 1
        XCTAssertLessThanOrEqual(points, 1001, "at most about a thousand points a line")
        XCTAssertLessThan(html.utf8.count, 200_000)
    }
}

extension TrustedReportTests {
    func testTheReproduceLineGivesExactValues() throws {
        let hp = HyperParameters()
        try hp.fixed("lr", .float(0.000123456789))
        let tuner = try Tuner(
            oracle: GridSearchOracle(), objective: "val_loss", hyperparameters: hp,
            configuration: TunerConfiguration(directory: directory.path, projectName: "exact", verbose: 0),
            output: CapturedOutput())
        tuner.handlesSignals = false
        try tuner.search { _ in TrialResult(metrics: ["val_loss": 0.5]) }
        let html = HTMLReport(snapshot: try StudySnapshot(journal: tuner.journal)).render()
        XCTAssert(html.contains("<code>lr=0.000123456789</code>"), "the value that ran, not %.5g")
    }

    /// GridSearch without maxTrials counts its grid once, not after every trial: 60 trials of a
    /// 900,000-point grid take seconds, where recounting took minutes.
    func testGridProgressDoesNotRecountTheGrid() throws {
        let hp = HyperParameters()
        try hp.int("a", min: 0, max: 899)
        try hp.int("b", min: 0, max: 999)
        let tuner = try Tuner(
            oracle: GridSearchOracle(), objective: "val_loss", hyperparameters: hp,
            configuration: TunerConfiguration(directory: directory.path, projectName: "grid", verbose: 1),
            output: CapturedOutput())
        tuner.handlesSignals = false
        let clock = Date()
        var calls = 0
        XCTAssertThrowsError(
            try tuner.search { _ in
                calls += 1
                if calls == 60 { throw FatalError("enough") }
                return TrialResult(metrics: ["val_loss": 0.5])
            })
        XCTAssertEqual(calls, 60)
        XCTAssertLessThan(Date().timeIntervalSince(clock), 60)
    }
}
