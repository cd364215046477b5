import Foundation
import TunerCore
import TunerEngine
import TunerServe
import TunerTestSupport
import XCTest

/// The live dashboard in a real browser (headless Chromium through Selenium) while a search
/// writes the study it shows.
final class DashboardBrowserTests: XCTestCase {
    let fixtureNames = ["guide-failed", "guide-fatal", "guide-tolerate", "iris-random", "kerastuner-guide-tolerate"]

    func testTheLivePageFollowsASearchInARealBrowser() throws {
        let python = ["selenium", "axe_selenium_python"]
        guard ChildProcess.have("chromium"), ChildProcess.have("chromedriver"),
            python.allSatisfy({ module in (try? ChildProcess.run("python3", ["-c", "import \(module)"]).code) == 0 })
        else {
            let message =
                "the browser checks need chromium and chromium-driver (Debian) and selenium, axe-selenium-python "
                + "(PyPI); .ci/run installs them"
            if ProcessInfo.processInfo.environment["SWIFTTUNER_REQUIRE_CONSUMERS"] == "1" {
                return XCTFail("required by SWIFTTUNER_REQUIRE_CONSUMERS: \(message)")
            }
            throw XCTSkip(message)
        }
        let folder = try fixtureFolder()
        try makeHostileStudy(in: folder.path, payload: hostilePayload)
        // About 12 s of trials 150 ms long: the page is open while they are written.
        let worker = try SpawnedProcess(
            ChildProcess.executable("TunerCrashWorker"), [folder.path, "random", "9", "80", "150000"])
        defer { worker.signal(SIGKILL); worker.waitUntilExit() }
        XCTAssert(
            waitUntil {
                FileManager.default.fileExists(atPath: Tuner.journalPath(directory: folder.path, projectName: "crash"))
            })
        let dashboard = try ServedDashboard(folder: folder.path)
        let shot = (folder.path as NSString).appendingPathComponent("live.png")
        let script = repositoryRoot.appendingPathComponent("Tests/TunerServeTests/Scripts/live_checks.py").path
        let run = try ChildProcess.run(
            "python3",
            [script, "http://127.0.0.1:\(dashboard.port)", "crash", hostileKey, "<script>alert('x')</script>", shot]
                + fixtureNames)
        XCTAssertEqual(run.code, 0, run.stdout + run.stderr)
        let json = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let result = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], run.stderr)

        XCTAssertEqual(result["home_links"] as? Int, 2 + fixtureNames.count, "every study listed")
        // "following the journal" once connected; "updated …" if an update came before the look.
        let live = result["live_text"] as? String ?? ""
        XCTAssert(live == "Live: following the journal" || live.hasPrefix("Live: updated"), live)
        XCTAssertEqual(result["rows_grew"] as? Bool, true, "the trials table grew without a reload")
        XCTAssertLessThan(result["first_growth_seconds"] as? Double ?? 99, 5, "a new trial shows within 5 s")
        XCTAssertGreaterThanOrEqual(result["updates"] as? Int ?? 0, 3)
        XCTAssertGreaterThanOrEqual(result["live_updates"] as? Int ?? 0, 3, "the events' newest attempts shown")
        XCTAssertEqual(result["latest_items"] as? Int, 8, "the list of the latest attempts")
        XCTAssertEqual(result["navigations"] as? Int, 1, "updated in place, not reloaded")
        XCTAssertEqual(result["scripts"] as? Int, 1, "the dashboard's script only")
        XCTAssertEqual(result["filter_kept"] as? Bool, true, "the filter keeps its text and focus across updates")
        let filter = result["filter"] as? [String: Int] ?? [:]
        XCTAssertEqual(filter["wrong"], 0, "the filter shows exactly the matching rows: \(filter)")
        XCTAssertGreaterThanOrEqual(filter["shown"] ?? 0, 1, "\(filter)")
        XCTAssertLessThan(filter["shown"] ?? 0, filter["rows"] ?? 0, "\(filter)")
        XCTAssertEqual(result["sort"] as? String, "descending", "a second click sorts descending")
        XCTAssertGreaterThan(result["screenshot_bytes"] as? Int ?? 0, 30_000, "the screenshot is not blank")
        XCTAssertEqual(
            (result["axe_violations"] as? [[String: Any]])?.map { "\($0["id"] ?? "")" }, [],
            "\(result["axe_violations"] ?? "")")
        let console = result["console"] as? [String] ?? []
        XCTAssertEqual(
            console.filter {
                $0.contains("Content Security Policy") || $0.contains("Refused") || $0.contains("SEVERE")
            },
            [], "\(console)")
        XCTAssertEqual(result["payload_visible"] as? Bool, true, "the hostile payload shows as text")
        XCTAssertEqual(result["hostile_scripts"] as? Int, 1, "no script but the dashboard's")
        XCTAssertEqual(result["hostile_images"] as? Int, 0, "no image element made from a name")

        let fixtures = result["fixtures"] as? [String: [String: Int]] ?? [:]
        XCTAssertEqual(Set(fixtures.keys), Set(fixtureNames))
        for (name, page) in fixtures {
            XCTAssertGreaterThanOrEqual(page["charts"] ?? 0, 4, "\(name): the charts are drawn")
            XCTAssertGreaterThan(page["rows"] ?? 0, 0, "\(name): the trials table")
            if (page["failed"] ?? 0) > 0 { XCTAssertGreaterThan(page["traces"] ?? 0, 0, "\(name): the traces listed") }
        }
        XCTAssertGreaterThan(fixtures["guide-failed"]?["traces"] ?? 0, 0, "the failure explorer lists traces")

        // The README's screenshot is this one: `SWIFTTUNER_UPDATE_SCREENSHOT=1` writes it.
        if ProcessInfo.processInfo.environment["SWIFTTUNER_UPDATE_SCREENSHOT"] == "1" {
            let target = repositoryRoot.appendingPathComponent("Reports/dashboard-live.png")
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: URL(fileURLWithPath: shot), to: target)
        }
    }
}
