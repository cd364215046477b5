import Foundation
import TunerCore
import TunerEngine
import TunerJournal
import TunerServe
import TunerTestSupport
import XCTest

/// The event streams, against journals that real processes write, replace and damage.
final class DashboardLiveTests: XCTestCase {
    /// The versions a stream's `change` events carried, in order.
    func versions(_ text: String) -> [String] {
        text.components(separatedBy: "event: change\ndata: ").dropFirst().map { String($0.prefix { $0 != "\n" }) }
    }

    func testTheStreamSendsAChangeAsASearchCommits() throws {
        let folder = TemporaryDirectory()
        // Trials 60 ms long: commits well apart, against 20 ms between looks.
        let worker = try SpawnedProcess(
            ChildProcess.executable("TunerCrashWorker"), [folder.path, "random", "9", "20", "60000"])
        defer { worker.signal(SIGKILL); worker.waitUntilExit() }
        let journal = Tuner.journalPath(directory: folder.path, projectName: "crash")
        XCTAssert(waitUntil { FileManager.default.fileExists(atPath: journal) }, "the search started")
        let dashboard = try ServedDashboard(folder: folder.path)
        let stream = try dashboard.get("/studies/crash/events", timeout: 30) { self.versions($0).count >= 6 }
        XCTAssertEqual(stream.status, 200)
        XCTAssertEqual(stream.headers["content-type"], "text/event-stream")
        let seen = versions(stream.body)
        XCTAssertGreaterThanOrEqual(seen.count, 6, stream.body)
        XCTAssertEqual(Set(seen).count, seen.count, "each change is a new version")
        // Each event carries the newest attempts, for the page to show before it reads the rest.
        let last = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(seen.last).utf8)) as? [String: Any])
        XCTAssertGreaterThan(last["trials"] as? Int ?? 0, 0)
        let attempts = try XCTUnwrap(last["attempts"] as? [[String: Any]])
        XCTAssertFalse(attempts.isEmpty)
        XCTAssertNotNil(attempts.first?["outcome"] as? String)
        // The page read after the last event shows what the journal holds.
        XCTAssertEqual(worker.waitUntilExit(timeout: 60), 0)
        let trials = try StudyJournal.openForReading(at: journal).trials().count
        let page = try dashboard.get("/studies/crash")
        XCTAssert(page.body.contains("\(trials) trials"), "the page shows all \(trials) trials")
    }

    func testTheServerKeepsServingWhileAJournalIsReplacedOrDamaged() throws {
        let folder = try fixtureFolder()
        let path = (folder.path as NSString).appendingPathComponent("guide-failed/journal.sqlite")
        let other = (folder.path as NSString).appendingPathComponent("iris-random/journal.sqlite")
        let dashboard = try ServedDashboard(folder: folder.path)

        // Replaced by another journal (a new file renamed over it): a change.
        let replaceStream = try dashboard.get("/studies/guide-failed/events", timeout: 5) { text in
            if self.versions(text).count == 1 && !FileManager.default.fileExists(atPath: path + ".next") {
                try? FileManager.default.copyItem(atPath: other, toPath: path + ".next")
                rename(path + ".next", path)
            }
            return self.versions(text).count >= 2
        }
        XCTAssertEqual(versions(replaceStream.body).count, 2, replaceStream.body)
        XCTAssert(try dashboard.get("/studies/guide-failed").body.contains("Study iris-random"), "the new journal")

        // Damaged (garbage where the journal was): the stream says so, the pages keep answering.
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        try garbage.write(to: URL(fileURLWithPath: path + ".bad"))
        rename(path + ".bad", path)
        let trouble = try dashboard.get("/studies/guide-failed/events", timeout: 10) { $0.contains("event: trouble") }
        XCTAssert(trouble.body.contains("event: trouble\ndata: "), trouble.body)
        let page = try dashboard.get("/studies/guide-failed")
        XCTAssertEqual(page.status, 503)
        XCTAssert(page.body.contains("The journal cannot be read now"), page.body)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), garbage, "the damaged file is left as it is")
        let home = try dashboard.get("/")
        XCTAssertEqual(home.status, 200)
        XCTAssert(home.body.contains("Cannot be read"), "the list says which study cannot be read")
        XCTAssertEqual(try dashboard.get("/studies/iris-random").status, 200, "the other studies are served")
        XCTAssertEqual(try dashboard.get("/api/studies/guide-failed").status, 503)

        // Mended: served again.
        try FileManager.default.copyItem(atPath: other, toPath: path + ".good")
        rename(path + ".good", path)
        XCTAssertEqual(try dashboard.get("/studies/guide-failed").status, 200)
    }

    func testAHostileStudyIsShownAsTextUnderASafeKey() throws {
        let folder = TemporaryDirectory()
        let payload = hostilePayload
        try makeHostileStudy(in: folder.path, payload: payload)
        let dashboard = try ServedDashboard(folder: folder.path)
        let home = try dashboard.get("/")
        let key = hostileKey
        XCTAssert(home.body.contains("<a href=\"/studies/\(key)\">\(key)</a>"), home.body)
        XCTAssertFalse(home.body.contains("<img"))
        let page = try dashboard.get("/studies/\(key)")
        XCTAssertEqual(page.status, 200)
        XCTAssertFalse(page.body.contains("<img"))
        XCTAssertFalse(page.body.contains("<script>"))
        XCTAssert(page.body.contains("&lt;script&gt;alert('x')&lt;/script&gt;"))
        let trial = try dashboard.get("/studies/\(key)/trials/1")
        XCTAssertEqual(trial.status, 200)
        XCTAssertFalse(trial.body.contains("<script>"))
        XCTAssert(trial.body.contains("&lt;script&gt;alert('x')&lt;/script&gt;"))
        let api = try dashboard.get("/api/studies/\(key)/trials/1")
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(api.body.utf8)), "valid JSON")
    }
}

/// Strings that would run or restyle in a page that did not escape them.
let hostilePayload =
    "<script>alert('x')</script> \" onload=\"x\" ]]> \u{1B}[31m \u{202E}bidi <b>bold</b> & end "
    + (0..<32).map { String(UnicodeScalar(UInt8($0))) }.joined()

/// The project name of the hostile study, and the key the dashboard gives it.
let hostileName = "<img src=x onerror=alert(1)>"
let hostileKey = "_img_src_x_onerror_alert_1__"

/// A study whose name, messages and traces are hostile.
func makeHostileStudy(in folder: String, payload: String) throws {
    struct Hostile: Error, CustomStringConvertible, TracedError {
        var description: String
        var trace: String
    }
    let tuner = try Tuner(
        oracle: GridSearchOracle(), objective: "val_loss", hyperparameters: try lineSpace(3),
        configuration: TunerConfiguration(
            directory: folder, projectName: hostileName, maxConsecutiveFailedTrials: nil, verbose: 0),
        output: CapturedOutput())
    tuner.handlesSignals = false
    try tuner.search { context in
        if context.number == 1 { throw Hostile(description: payload, trace: payload + "\n  at line 1") }
        return TrialResult(metrics: ["val_loss": 1])
    }
}

extension DashboardLiveTests {
    func testAPostgreSQLStoreIsServedAndFollowedThroughItsAnnouncements() throws {
        let url = try PostgresTestServer.makeDatabase("serve") { XCTSkip($0) }
        let scratch = TemporaryDirectory()
        // A worker on the store: the study `crash`, trials 80 ms long.
        let worker = try SpawnedProcess(
            ChildProcess.executable("TunerCrashWorker"),
            [scratch.path, "random", "9", "25", "80000", "full", "none", "w1", url, "5"])
        defer { worker.signal(SIGKILL); worker.waitUntilExit() }
        XCTAssert(
            waitUntil(timeout: 60) {
                (try? PostgresTestServer.psql(url, "SELECT count(*) FROM swifttuner.trial")).flatMap(Int.init) ?? 0 > 0
            }, "the worker started")
        let dashboard = try ServedDashboard(
            DashboardConfiguration(
                store: url, changeCheckInterval: .milliseconds(20), heartbeatInterval: .milliseconds(500),
                streamLifetime: .seconds(60)))
        XCTAssert(
            waitUntil(timeout: 30) { (try? dashboard.get("/").body.contains("/studies/crash\"")) ?? false },
            "the store's study is listed")
        let stream = try dashboard.get("/studies/crash/events", timeout: 60) { self.versions($0).count >= 4 }
        XCTAssertGreaterThanOrEqual(versions(stream.body).count, 4, "each announcement is a change: \(stream.body)")
        XCTAssertEqual(worker.waitUntilExit(timeout: 120), 0)
        let trials = try PostgresTestServer.psql(url, "SELECT count(*) FROM swifttuner.trial")
        XCTAssert(
            waitUntil(timeout: 30) {
                (try? dashboard.get("/studies/crash").body.contains("\(trials) trials")) ?? false
            }, "the page shows the store's \(trials) trials")
        let page = try dashboard.get("/studies/crash").body
        XCTAssert(page.contains("<title id=\"workers-chart-title\">Attempts by worker</title>"), "the worker timeline")
        XCTAssert(page.contains(">w1</text>"), "the worker's row")
        XCTAssertEqual(
            try PostgresTestServer.psql(url, "SELECT count(*) FROM swifttuner.study"), "1", "nothing written")
    }
}
