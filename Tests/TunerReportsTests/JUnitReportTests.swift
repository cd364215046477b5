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

/// The JUnit XML design of REPORTS.md, checked against the schemas and real consumers.
final class JUnitReportTests: XCTestCase {
    let directory = TemporaryDirectory()

    func validate(_ report: JUnitReport, file: StaticString = #filePath, line: UInt = #line) throws -> Data {
        let data = try report.document()
        XCTAssertEqual(try XMLSchemaValidator(schemaAt: junitSchema).validate(data), [], file: file, line: line)
        let surefire = try XMLSchemaValidator(schemaAt: surefireSchema)
        for index in report.snapshots.indices {
            XCTAssertEqual(
                surefire.validate(try report.suiteDocument(index)), [], "suite \(index)", file: file, line: line)
        }
        XCTAssertLessThan(data.count, 25_000_000, file: file, line: line)
        // The same files through xmllint, where it is installed (.ci/run installs it).
        if have("xmllint") {
            let path = directory.file("validate-\(UUID().uuidString).xml")
            try data.write(to: URL(fileURLWithPath: path))
            let whole = try shell("xmllint", ["--noout", "--schema", junitSchema, path])
            XCTAssertEqual(whole.code, 0, whole.output, file: file, line: line)
            for index in report.snapshots.indices {
                try report.suiteDocument(index).write(to: URL(fileURLWithPath: path))
                let suite = try shell("xmllint", ["--noout", "--schema", surefireSchema, path])
                XCTAssertEqual(suite.code, 0, suite.output, file: file, line: line)
            }
        }
        return data
    }

    func testTheGuidesScenariosEncodeAsDesigned() throws {
        let snapshots = try GuideScenario.allCases.map { try guideStudy($0, in: directory) }
        let data = try validate(JUnitReport(snapshots: snapshots))
        let xml = try XMLDocument(data: data)
        let suites = try xml.nodes(forXPath: "/testsuites/testsuite") as! [XMLElement]
        XCTAssertEqual(
            suites.map { $0.attribute(forName: "name")?.stringValue },
            [
                "swifttuner.seed-guide-tolerate", "swifttuner.seed-guide-failed", "swifttuner.seed-guide-fatal",
            ])
        func count(_ suite: XMLElement, _ name: String) -> String? { suite.attribute(forName: name)?.stringValue }

        // Tolerate: 12 testcases, 5 failures each with 3 reruns.
        let tolerate = suites[0]
        XCTAssertEqual(
            [
                count(tolerate, "tests"), count(tolerate, "failures"), count(tolerate, "errors"),
                count(tolerate, "skipped"),
            ],
            ["12", "5", "0", "0"])
        let failed = try tolerate.nodes(forXPath: "testcase[failure]") as! [XMLElement]
        XCTAssertEqual(failed.first?.attribute(forName: "name")?.stringValue, "trial-0007 [units_1=30, units_2=20]")
        XCTAssertEqual(try failed.first?.nodes(forXPath: "rerunFailure").count, 3)
        XCTAssertEqual(
            try failed.first?.nodes(forXPath: "failure/@message").first?.stringValue,
            "attempt 1/4: ValueError: Model too large! It contains 1271 params.")
        XCTAssertEqual(
            try tolerate.nodes(forXPath: "testcase[1]/@classname").first?.stringValue, "swifttuner.seed-guide-tolerate")

        // FailedTrialError: one failure each, no rerun.
        XCTAssertEqual(try suites[1].nodes(forXPath: "testcase/rerunFailure").count, 0)
        XCTAssertEqual(count(suites[1], "failures"), "5")

        // Fatal: 0007 in error, 0008–0011 skipped with the reason.
        let fatal = suites[2]
        XCTAssertEqual(
            [count(fatal, "tests"), count(fatal, "failures"), count(fatal, "errors"), count(fatal, "skipped")],
            ["12", "0", "1", "4"])
        XCTAssertEqual(
            try fatal.nodes(forXPath: "testcase[error]/@name").first?.stringValue, "trial-0007 [units_1=30, units_2=20]"
        )
        XCTAssertEqual(try fatal.nodes(forXPath: "testcase[skipped][1]/@name").first?.stringValue, "trial-0008")
        XCTAssertEqual(
            try fatal.nodes(forXPath: "testcase[skipped][1]/skipped/@message").first?.stringValue,
            "not run: the search was stopped by a fatal error in trial-0007")
        let properties = try fatal.nodes(forXPath: "properties/property") as! [XMLElement]
        let names = properties.compactMap { $0.attribute(forName: "name")?.stringValue }
        for expected in [
            "study", "objective", "direction", "tuner", "seed", "search.status", "stop.reason", "best.trial",
            "best.value", "best.param.units_1", "sessions", "host",
        ] {
            XCTAssert(names.contains(expected), expected)
        }
    }

    func testAFlakyTrialAndTheSyntheticSearchCase() throws {
        let tuner = try Tuner(
            oracle: GridSearchOracle(), objective: "val_loss", hyperparameters: try lineSpace(10),
            configuration: TunerConfiguration(
                directory: directory.path, projectName: "flaky.study", maxRetriesPerTrial: 2,
                maxConsecutiveFailedTrials: 2, verbose: 0),
            output: CapturedOutput())
        tuner.handlesSignals = false
        try tuner.search(
            ScriptedBody { trial, retry in
                trial == 0 ? (retry < 2 ? .error("flaky \(retry)") : .complete([0.5])) : .failedTrial("bad \(trial)")
            }.run)
        let data = try validate(JUnitReport(snapshots: [try StudySnapshot(journal: tuner.journal)]))
        let xml = try XMLDocument(data: data)
        let suite = try XCTUnwrap(try xml.nodes(forXPath: "/testsuites/testsuite").first as? XMLElement)
        XCTAssertEqual(suite.attribute(forName: "name")?.stringValue, "swifttuner.flaky_study")
        XCTAssertEqual(try suite.nodes(forXPath: "testcase[1]/flakyFailure").count, 2)
        XCTAssertEqual(try suite.nodes(forXPath: "testcase[1]/flakyFailure[2]/stackTrace").count, 1)
        XCTAssertEqual(
            try suite.nodes(forXPath: "testcase[@name='search']/error/@type").first?.stringValue, "SearchStopped")
        // 3 trials, 7 grid points never run, and the search case.
        XCTAssertEqual(suite.attribute(forName: "tests")?.stringValue, "11")
        XCTAssertEqual(suite.attribute(forName: "errors")?.stringValue, "1")
        XCTAssertEqual(suite.attribute(forName: "skipped")?.stringValue, "7")
    }

    func testHostileStringsStayWellFormedAndValid() throws {
        struct Hostile: Error, CustomStringConvertible, TracedError {
            var description: String
            var trace: String
        }
        var payload = (0..<32).map { String(UnicodeScalar(UInt8($0))) }.joined()
        payload +=
            "\u{FFFE}\u{FFFF} ]]> <script>alert(1)</script> \u{1B}[31mred\u{1B}[0m \u{202E}evil\u{202C} & \" ' end"
        let trace = payload + "\n" + String(repeating: "x", count: 20_000_000)
        let tuner = try Tuner(
            oracle: GridSearchOracle(), objective: "val_loss", hyperparameters: try lineSpace(2),
            configuration: TunerConfiguration(
                directory: directory.path, projectName: "hostile <study> & \u{7}", maxRetriesPerTrial: 1,
                maxConsecutiveFailedTrials: nil, verbose: 0),
            output: CapturedOutput())
        tuner.handlesSignals = false
        try tuner.search { _ in throw Hostile(description: payload, trace: trace) }
        let data = try validate(JUnitReport(snapshots: [try StudySnapshot(journal: tuner.journal)]))
        let text = String(decoding: data, as: UTF8.self)
        XCTAssert(text.contains("&lt;script&gt;"))
        XCTAssertFalse(text.contains("<script>"))
        XCTAssertFalse(text.contains("\u{1B}"))
        XCTAssert(text.contains("\\u{0}"), "NUL shown as an escape")
        XCTAssert(text.contains("\\u{FFFE}"))
        XCTAssert(text.contains("[truncated"))
        XCTAssertLessThan(data.count, 1_000_000)
    }

    func testXmllintAcceptsTheFileAndEachSuite() throws {
        guard have("xmllint") else {
            throw missingConsumer("xmllint is missing: apt-get install libxml2-utils (.ci/run installs it)")
        }
        let report = JUnitReport(snapshots: try GuideScenario.allCases.map { try guideStudy($0, in: directory) })
        let file = directory.file("junit.xml")
        try report.document().write(to: URL(fileURLWithPath: file))
        let whole = try shell("xmllint", ["--noout", "--schema", junitSchema, file])
        XCTAssertEqual(whole.code, 0, whole.output)
        for index in report.snapshots.indices {
            let suite = directory.file("suite-\(index).xml")
            try report.suiteDocument(index).write(to: URL(fileURLWithPath: suite))
            let result = try shell("xmllint", ["--noout", "--schema", surefireSchema, suite])
            XCTAssertEqual(result.code, 0, result.output)
        }
    }

    func testJunitparserReadsCountsFlakesAndReruns() throws {
        guard havePython("junitparser") else {
            throw missingConsumer("junitparser is missing: pip install junitparser (.ci/run installs it)")
        }
        let tuner = try Tuner(
            oracle: GridSearchOracle(), objective: "val_loss", hyperparameters: try lineSpace(3),
            configuration: TunerConfiguration(
                directory: directory.path, projectName: "parsed", maxRetriesPerTrial: 2,
                maxConsecutiveFailedTrials: nil, verbose: 0),
            output: CapturedOutput())
        tuner.handlesSignals = false
        try tuner.search(
            ScriptedBody { trial, retry in
                trial == 0
                    ? (retry == 0 ? .error("flaky") : .complete([0.5]))
                    : (trial == 1 ? .error("always") : .complete([0.2]))
            }.run)
        let file = directory.file("parsed.xml")
        try JUnitReport(snapshots: [try StudySnapshot(journal: tuner.journal)]).document().write(
            to: URL(fileURLWithPath: file))
        let script = """
            import sys
            from junitparser.xunit2 import JUnitXml, TestCase
            xml = JUnitXml.fromfile(sys.argv[1])
            for suite in xml:
                print("suite", suite.name, suite.tests, suite.failures, suite.errors, suite.skipped)
                for case in suite:
                    print("case", case.name.split(" ")[0], case.is_passed, case.is_flaky, len(case.rerun_failures()))
            """
        let result = try shell("python3", ["-c", script, file])
        XCTAssertEqual(result.code, 0, result.output)
        XCTAssertEqual(
            result.output.split(separator: "\n").map(String.init),
            [
                "suite swifttuner.parsed 3 1 0 0",
                "case trial-0000 True True 0",
                "case trial-0001 False False 2",
                "case trial-0002 True False 0",
            ])
    }

    func testJunit2htmlRendersIt() throws {
        guard have("junit2html") else {
            throw missingConsumer("junit2html is missing: pip install junit2html (.ci/run installs it)")
        }
        let file = directory.file("guide.xml"), html = directory.file("guide.html")
        try JUnitReport(snapshots: [try guideStudy(.tolerate, in: directory)]).document().write(
            to: URL(fileURLWithPath: file))
        let result = try shell("junit2html", [file, html])
        XCTAssertEqual(result.code, 0, result.output)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        XCTAssert(page.contains("trial-0007"))
    }
}
