import Foundation
import FoundationXML
import TunerCore
import TunerEngine
import TunerJournal
import TunerReports
import TunerServe
import TunerTestSupport
import XCTest

/// `tuner serve` over real HTTP on loopback: the pages, the API, the policy, the refusals, and
/// the event stream that follows a journal being written, replaced and damaged.
final class DashboardServerTests: XCTestCase {
    let fixtureNames = ["guide-failed", "guide-fatal", "guide-tolerate", "iris-random", "kerastuner-guide-tolerate"]

    func testTheHomePageListsEveryStudyUnderTheFolder() throws {
        let folder = try fixtureFolder()
        let dashboard = try ServedDashboard(folder: folder.path)
        let home = try dashboard.get("/")
        XCTAssertEqual(home.status, 200)
        XCTAssertEqual(home.headers["content-type"], "text/html; charset=utf-8")
        for name in fixtureNames {
            XCTAssert(home.body.contains("<a href=\"/studies/\(name)\">\(name)</a>"), name)
        }
        XCTAssert(home.body.contains("stopped (consecutive_failures)") || home.body.contains("stopped ("), home.body)
        XCTAssertNoThrow(try XMLDocument(data: Data(home.body.utf8), options: []), "well-formed")
    }

    func testEveryResponseCarriesAStrictPolicyAndNoInlineScriptOrStyle() throws {
        let folder = try fixtureFolder()
        let dashboard = try ServedDashboard(folder: folder.path)
        for path in [
            "/", "/studies/guide-failed", "/studies/guide-failed/trials/0", "/api/studies", "/studies/nothing-here",
            "/assets/dashboard.js",
        ] {
            let answer = try dashboard.get(path)
            let policy = try XCTUnwrap(answer.headers["content-security-policy"], path)
            XCTAssert(
                policy.hasPrefix("default-src 'none'; script-src 'self'; style-src 'self';"), "\(path): \(policy)")
            XCTAssertFalse(policy.contains("unsafe"), path)
            XCTAssertEqual(answer.headers["x-content-type-options"], "nosniff", path)
            XCTAssertEqual(answer.headers["cache-control"], "no-store", path)
            guard answer.headers["content-type"]?.hasPrefix("text/html") == true else { continue }
            XCTAssertFalse(answer.body.contains("<style"), "\(path): no inline style element")
            XCTAssertFalse(answer.body.contains(" style=\""), "\(path): no style attribute")
            XCTAssertFalse(answer.body.range(of: #" on[a-z]+=""#, options: .regularExpression) != nil, path)
            let scripts = answer.body.components(separatedBy: "<script").count - 1
            XCTAssertEqual(
                answer.body.components(separatedBy: "<script src=\"/assets/dashboard.js\" defer=\"defer\"></script>")
                    .count - 1, scripts, "\(path): every script is the served one")
        }
    }

    func testTheStudyPageIsTheReportServedWithLinksToEveryTrial() throws {
        let folder = try fixtureFolder()
        let dashboard = try ServedDashboard(folder: folder.path)
        let page = try dashboard.get("/studies/iris-random")
        XCTAssertEqual(page.status, 200)
        XCTAssertNoThrow(try XMLDocument(data: Data(page.body.utf8), options: []), "well-formed")
        XCTAssert(page.body.contains("<body data-events=\"/studies/iris-random/events\" data-journal-time=\""))
        XCTAssert(page.body.contains("<link rel=\"stylesheet\" href=\"/assets/report.css\"/>"))
        XCTAssert(page.body.contains("<a href=\"/studies/iris-random/trials/0\">0000</a>"))
        XCTAssert(page.body.contains("<dt>Failure streak</dt>"))
        XCTAssert(page.body.contains("<a href=\"/\">All studies</a>"))
        // The same sections as the static report.
        for id in ["best", "history", "trials", "failures", "timeline", "parallel", "importance", "curves"] {
            XCTAssert(page.body.contains("<section id=\"\(id)\""), id)
        }
        let css = try dashboard.get("/assets/report.css")
        XCTAssertEqual(css.headers["content-type"], "text/css; charset=utf-8")
        XCTAssertEqual(css.body, HTMLReport.stylesheet)
    }

    func testATrialPageShowsEveryAttemptItsTraceAndItsMetricsByEpoch() throws {
        let folder = try fixtureFolder()
        let journal = try StudyJournal.openForReading(
            at: (folder.path as NSString).appendingPathComponent("guide-tolerate/journal.sqlite"))
        let retried = try XCTUnwrap(
            try journal.trials().first { trial in try journal.attempts(ofTrial: trial.number).count > 1 })
        let attempts = try journal.attempts(ofTrial: retried.number)
        let dashboard = try ServedDashboard(folder: folder.path)
        let page = try dashboard.get("/studies/guide-tolerate/trials/\(retried.number)")
        XCTAssertEqual(page.status, 200)
        XCTAssertNoThrow(try XMLDocument(data: Data(page.body.utf8), options: []), "well-formed")
        XCTAssert(page.body.contains("Trial \(retried.trialID) of study guide-tolerate"))
        XCTAssert(page.body.contains(String(retried.trialSeed)), "the seed")
        for attempt in attempts {
            XCTAssert(page.body.contains("<h3>Attempt \(attempt.number): \(attempt.outcomeText)</h3>"))
        }
        let failed = try XCTUnwrap(attempts.first { $0.outcome != .completed && $0.trace != nil })
        let firstTraceLine = try XCTUnwrap(failed.trace?.split(separator: "\n").first)
        XCTAssert(page.body.contains(HTMLBuilder.escapeText(String(firstTraceLine))), "the trace")
        let best = try XCTUnwrap(try journal.bestTrials(1).first)
        let bestPage = try dashboard.get("/studies/guide-tolerate/trials/\(best.number)")
        XCTAssert(bestPage.body.contains("Metrics of attempt"), "the metrics by epoch")
        XCTAssert(bestPage.body.contains("<th scope=\"col\">val_loss</th>"), "the metrics by epoch")

        let api = try XCTUnwrap(
            try dashboard.json("/api/studies/guide-tolerate/trials/\(retried.number)") as? [String: Any])
        XCTAssertEqual(api["id"] as? String, retried.trialID)
        let listed = try XCTUnwrap(api["attempts"] as? [[String: Any]])
        XCTAssertEqual(listed.count, attempts.count)
        XCTAssertEqual(listed.compactMap { $0["trace"] as? String }.count, attempts.filter { $0.trace != nil }.count)
        let bestAPI = try XCTUnwrap(
            try dashboard.json("/api/studies/guide-tolerate/trials/\(best.number)") as? [String: Any])
        let bestAttempts = try XCTUnwrap(bestAPI["attempts"] as? [[String: Any]])
        XCTAssertFalse((bestAttempts.last?["epochs"] as? [Any] ?? []).isEmpty, "the epochs of the completing attempt")
    }

    func testTheAPIListsStudiesAndTrialsAsItsOpenAPIDocumentSays() throws {
        let folder = try fixtureFolder()
        let dashboard = try ServedDashboard(folder: folder.path)
        let studies = try XCTUnwrap(try dashboard.json("/api/studies") as? [[String: Any]])
        XCTAssertEqual(studies.compactMap { $0["key"] as? String }, fixtureNames)
        for study in studies {
            let overview = try XCTUnwrap(study["overview"] as? [String: Any], "\(study)")
            for field in ["name", "tuner", "objective", "direction", "status", "trials", "consecutiveFailedTrials"] {
                XCTAssertNotNil(overview[field], field)
            }
        }
        let one = try XCTUnwrap(try dashboard.json("/api/studies/guide-failed") as? [String: Any])
        XCTAssertEqual((one["overview"] as? [String: Any])?["status"] as? String, "completed")
        let iris = try XCTUnwrap(try dashboard.json("/api/studies/iris-random") as? [String: Any])
        XCTAssertEqual((iris["overview"] as? [String: Any])?["stopReason"] as? String, "consecutiveFailures")
        let export = try XCTUnwrap(try dashboard.json("/api/studies/iris-random/trials") as? [String: Any])
        XCTAssertEqual((export["trials"] as? [Any])?.count, 10)

        let document = try XCTUnwrap(try dashboard.json("/api/openapi.json") as? [String: Any])
        XCTAssertEqual(document["openapi"] as? String, "3.1.0")
        let paths = try XCTUnwrap(document["paths"] as? [String: Any])
        XCTAssertEqual(
            Set(paths.keys),
            ["/api/studies", "/api/studies/{key}", "/api/studies/{key}/trials", "/api/studies/{key}/trials/{number}"])
    }

    func testPathsOutsideTheServedFolderAndUnknownAddressesAreRefused() throws {
        let folder = try fixtureFolder()
        // A file beside the served folder that a traversal would reach.
        let outside = (folder.path as NSString).deletingLastPathComponent + "/swifttuner-secret-\(UUID().uuidString)"
        try "secret-value".write(toFile: outside, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        let name = (outside as NSString).lastPathComponent
        let dashboard = try ServedDashboard(folder: folder.path)
        for path in [
            "/studies/..", "/studies/..%2F\(name)", "/studies/%2E%2E", "/studies/../\(name)", "/../\(name)",
            "/assets/..%2F..%2F\(name)", "/assets/../../\(name)", "/studies/guide-failed/..%2F..%2F\(name)",
            "/studies/guide-failed/trials/-1", "/studies/guide-failed/trials/99999",
            "/studies/guide-failed/trials/abc", "/api/studies/..%2F\(name)", "/api/studies/guide-failed/trials/1e3",
            "/studies/%00", "/\(String(repeating: "a", count: 4000))",
        ] {
            let answer = try dashboard.get(path)
            XCTAssert([400, 404].contains(answer.status), "\(path): \(answer.status)")
            XCTAssertFalse(answer.body.contains("secret-value"), path)
        }
        let garbage = try HTTPProbe.send(port: dashboard.port, raw: "GET /\u{0}\u{7F} HTTP/9\r\n\r\n")
        XCTAssertFalse(garbage.contains("secret-value"))
        XCTAssertEqual(try dashboard.get("/").status, 200, "still serving after a malformed request")
    }

    func testServingNeverWritesTheJournal() throws {
        let folder = try fixtureFolder()
        let path = (folder.path as NSString).appendingPathComponent("guide-failed/journal.sqlite")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let dashboard = try ServedDashboard(folder: folder.path)
        for page in [
            "/", "/studies/guide-failed", "/api/studies/guide-failed/trials", "/studies/guide-failed/trials/1",
        ] {
            XCTAssertEqual(try dashboard.get(page).status, 200, page)
        }
        _ = try dashboard.get("/studies/guide-failed/events", timeout: 2) { $0.contains("event: change") }
        // Every other method is refused as not allowed, with the methods that are.
        for method in ["POST", "PUT", "DELETE", "PATCH", "TRACE"] {
            for target in ["/api/studies/guide-failed", "/studies/guide-failed", "/nowhere"] {
                let answer = try HTTPProbe.send(
                    port: dashboard.port,
                    raw: "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                        + "Connection: close\r\n\r\n")
                XCTAssert(answer.hasPrefix("HTTP/1.1 405"), "\(method) \(target): \(answer.prefix(40))")
                XCTAssert(answer.lowercased().contains("allow: get, head"), "\(method) \(target)")
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "not a byte changed")
        XCTAssertEqual(StudyLock.isHeld(path: path + ".lock") ?? false, false, "no writer's lock taken")
    }
}

extension DashboardServerTests {
    func testStudiesAreComparedSideBySide() throws {
        let folder = try fixtureFolder()
        let dashboard = try ServedDashboard(folder: folder.path)
        let home = try dashboard.get("/")
        XCTAssert(home.body.contains("<form action=\"/compare\" method=\"get\">"))
        XCTAssert(home.body.contains("name=\"study\" value=\"iris-random\""))
        let page = try dashboard.get("/compare?study=guide-tolerate&study=iris-random&study=iris-random")
        XCTAssertEqual(page.status, 200, page.body)
        XCTAssertNoThrow(try XMLDocument(data: Data(page.body.utf8), options: []), "well-formed")
        XCTAssert(page.body.contains("<h1>Comparing 2 studies</h1>"))
        XCTAssert(page.body.contains("<a href=\"/studies/iris-random/trials/0\">0000</a>"), "the best trial's page")
        XCTAssert(page.body.contains("Optimization history of guide-tolerate"))
        XCTAssert(page.body.contains("Optimization history of iris-random"))
        let ids = page.body.matches(of: /id="([^"]+)"/).map { String($0.1) }
        XCTAssertEqual(Set(ids).count, ids.count, "every id once: \(ids)")
        XCTAssertEqual(try dashboard.get("/compare?study=iris-random&study=nothing").status, 404)
        XCTAssertEqual(try dashboard.get("/compare").status, 400)
    }
}

extension DashboardServerTests {
    func testTheLearningCurvesDrawTheMetricChosenOnThePage() throws {
        let folder = try fixtureFolder()
        let dashboard = try ServedDashboard(folder: folder.path)
        let page = try dashboard.get("/studies/iris-random")
        XCTAssert(page.body.contains("<form class=\"metric\" method=\"get\" action=\"/studies/iris-random#curves\">"))
        XCTAssert(page.body.contains("<option value=\"val_accuracy\" selected=\"selected\">val_accuracy</option>"))
        XCTAssert(page.body.contains("<option value=\"loss\">loss</option>"), page.body)
        let loss = try dashboard.get("/studies/iris-random?metric=loss")
        XCTAssertEqual(loss.status, 200)
        XCTAssert(loss.body.contains("<title id=\"curves-chart-title\">loss per epoch</title>"))
        XCTAssert(loss.body.contains("<option value=\"loss\" selected=\"selected\">loss</option>"))
        XCTAssert(page.body.contains("<title id=\"curves-chart-title\">val_accuracy per epoch</title>"))
        XCTAssertEqual(try dashboard.get("/studies/iris-random?metric=%3Cscript%3E").status, 404)
    }
}
