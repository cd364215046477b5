import Foundation
import FoundationXML
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

/// The HTML summary of REPORTS.md: structure, escaping, determinism, a real browser.
final class HTMLReportTests: XCTestCase {
    let directory = TemporaryDirectory()

    /// The tolerate scenario on the built-in trainer (learning curves), resumed once.
    func trainedStudy() throws -> StudySnapshot {
        let data = GuideScenario.matrices()
        for maxTrials in [5, 12] {
            let tuner = try GridSearch(
                hypermodel: GuideScenario.tolerate.buildMLP, objective: "val_loss",
                configuration: TunerConfiguration(
                    directory: directory.path, projectName: "seed-guide-tolerate", maxTrials: maxTrials,
                    maxRetriesPerTrial: 3, maxConsecutiveFailedTrials: 8, seed: 1, verbose: 0),
                output: CapturedOutput())
            tuner.handlesSignals = false
            try tuner.search(x: data.x, y: data.y, validationData: data.validation, epochs: 10)
        }
        let journal = try StudyJournal.openForReading(
            at: Tuner.journalPath(directory: directory.path, projectName: "seed-guide-tolerate"))
        return try StudySnapshot(journal: journal)
    }

    func testTheReportIsWellFormedWithEverySectionInOrder() throws {
        let html = HTMLReport(snapshot: try trainedStudy()).render()
        try html.write(toFile: "/tmp/report-test.html", atomically: true, encoding: .utf8)
        let document = try XMLDocument(data: Data(html.utf8), options: [])
        let ids = try document.nodes(forXPath: "//*[local-name()='main']/*[local-name()='section']/@id").map {
            $0.stringValue ?? ""
        }
        XCTAssertEqual(
            ids,
            ["best", "history", "trials", "failures", "timeline", "parallel", "importance", "curves", "configuration"])
        XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='h1']").count, 1)
        XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='script']").count, 0)
        for svg in try document.nodes(forXPath: "//*[local-name()='svg'][not(@aria-hidden)]") as! [XMLElement] {
            XCTAssertEqual(try svg.nodes(forXPath: "@role").first?.stringValue, "img")
            XCTAssertEqual(try svg.nodes(forXPath: "*[local-name()='title']").count, 1)
            XCTAssertEqual(try svg.nodes(forXPath: "*[local-name()='desc']").count, 1)
        }
        XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='tr'][@id='trial-0007']").count, 1)
        XCTAssertEqual(
            try document.nodes(forXPath: "//*[local-name()='meta'][@http-equiv='Content-Security-Policy']/@content")
                .first?.stringValue,
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
        XCTAssertFalse(html.contains("NaN\""), "no NaN coordinate")
        XCTAssert(html.contains("Model too large! It contains 1271 params."))
    }

    func testTheFailureRateAgainstEachHyperparameterShowsWhereTrialsFail() throws {
        // The iris study refuses models over 500 parameters: its widest layers always fail.
        let journal = try StudyJournal.openForReading(at: fixturePath("journals/iris-random/journal.sqlite"))
        let html = HTMLReport(snapshot: try StudySnapshot(journal: journal)).render()
        let start = try XCTUnwrap(html.range(of: "<table class=\"rates\">"))
        let end = try XCTUnwrap(html.range(of: "</table>", range: start.upperBound..<html.endIndex))
        let table = String(html[start.lowerBound..<end.upperBound])
        let rows = table.components(separatedBy: "<tr><th scope=\"row\">").dropFirst().map {
            $0.replacingOccurrences(of: "(<[^>]+>)+", with: "|", options: .regularExpression)
        }
        XCTAssert(rows.contains("units|88 to 96|3|3|100 %|"), "\(rows)")
        XCTAssert(rows.contains("units|8 to under 24|2|0|0 %|"), "\(rows)")
        XCTAssert(rows.contains("activation|tanh|7|4|57 %|"), "\(rows)")
        // Every ended attempt but interruptions is counted once per hyperparameter it has.
        let ended = try journal.attempts().filter { $0.outcome != nil && $0.outcome != .interrupted }.count
        let activation = rows.filter { $0.hasPrefix("activation|") }.compactMap { Int($0.split(separator: "|")[2]) }
        XCTAssertEqual(activation.reduce(0, +), ended)
    }

    func testTheReportIsDeterministic() throws {
        let snapshot = try trainedStudy()
        XCTAssertEqual(HTMLReport(snapshot: snapshot).render(), HTMLReport(snapshot: snapshot).render())
    }

    func testHostileStringsAreShownAsText() throws {
        struct Hostile: Error, CustomStringConvertible, TracedError { var description: String; var trace: String }
        var payload = "<script>alert('x')</script> \" onload=\"x\" ]]> \u{1B}[31m \u{202E}bidi <b>bold</b> & end "
        payload += (0..<32).map { String(UnicodeScalar(UInt8($0))) }.joined() + "\u{FFFE}\u{FFFF}"
        let trace = payload + String(repeating: "y", count: 20_000_000)
        let tuner = try Tuner(
            oracle: GridSearchOracle(), objective: "val_loss", hyperparameters: try lineSpace(3),
            configuration: TunerConfiguration(
                directory: directory.path, projectName: "<img src=x onerror=alert(1)>", maxConsecutiveFailedTrials: nil,
                verbose: 0),
            output: CapturedOutput())
        tuner.handlesSignals = false
        try tuner.search { context in
            if context.number == 1 { throw Hostile(description: payload, trace: trace) }
            return TrialResult(metrics: ["val_loss": 1])
        }
        let html = HTMLReport(snapshot: try StudySnapshot(journal: tuner.journal)).render()
        XCTAssertNoThrow(try XMLDocument(data: Data(html.utf8), options: []))
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("<b>"))
        XCTAssert(html.contains("&lt;script&gt;alert('x')&lt;/script&gt;"))
        XCTAssertFalse(html.contains("\u{1B}"))
        XCTAssertFalse(html.unicodeScalars.contains { !ReportText.isXMLChar($0) }, "no character XML cannot hold")
        XCTAssertLessThan(html.utf8.count, 1_000_000, "the 20 MB trace is cut")
        try browserChecks(html, payload: "<script>alert('x')</script>")
    }

    func testTheReportInARealBrowser() throws {
        try browserChecks(
            HTMLReport(snapshot: try trainedStudy()).render(), payload: "Model too large! It contains 1271 params.")
    }

    /// Chromium (headless, through Selenium), html5lib strict and axe-core.
    func browserChecks(_ html: String, payload: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard have("chromium"), have("chromedriver"), havePython("selenium"), havePython("html5lib"),
            havePython("axe_selenium_python")
        else {
            throw missingConsumer(
                "the browser checks need chromium and chromium-driver (Debian) and selenium, html5lib, " +
                    "axe-selenium-python (PyPI); .ci/run installs them"
            )
        }
        let page = directory.file("page-\(UUID().uuidString).html"), shot = directory.file("shot.png")
        try html.write(toFile: page, atomically: true, encoding: .utf8)
        let script = repositoryRoot.appendingPathComponent("Tests/TunerReportsTests/Scripts/browser_checks.py").path
        let result = try shell("python3", [script, page, shot, payload])
        XCTAssertEqual(result.code, 0, result.output, file: file, line: line)
        let json = result.output.split(separator: "\n").last.map(String.init) ?? ""
        let object = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], file: file, line: line)
        XCTAssertEqual(object["html5lib_errors"] as? [String], [], file: file, line: line)
        XCTAssertEqual(object["scripts"] as? Int, 0, "no script in the DOM after load", file: file, line: line)
        XCTAssertEqual(object["payload_visible"] as? Bool, true, "the payload shows as text", file: file, line: line)
        XCTAssertEqual(
            (object["console"] as? [String])?.filter {
                $0.contains("Content Security Policy") || $0.contains("Refused")
            }, [],
            file: file, line: line)
        XCTAssertGreaterThan(
            object["screenshot_bytes"] as? Int ?? 0, 30_000, "the screenshot is not blank", file: file, line: line)
        XCTAssertEqual(
            (object["axe_violations"] as? [[String: Any]])?.map { "\($0["id"] ?? "")" }, [],
            "\(object["axe_violations"] ?? "")",
            file: file, line: line)
        let narrow = object["narrow"] as? [String: Int]
        XCTAssertEqual(narrow?["hidden"], 0, "no column hidden on a 400-px screen", file: file, line: line)
        XCTAssertEqual(
            narrow?["unscrollable"], 0, "a table wider than a 400-px screen scrolls sideways", file: file, line: line)
        XCTAssertEqual(object["print_clipped"] as? Int, 0, "nothing is cut in print", file: file, line: line)
    }
}
