import Foundation
import TunerTestSupport
import XCTest

/// The JSON API against its own OpenAPI document, under a fuzzer that knows nothing else of it
/// (schemathesis, from PyPI): every status code, header, content type and body it answers must be
/// one the document describes, for a study that exists and for made-up keys and numbers, and the
/// methods the document does not list must be refused with 405.
final class DashboardSchemaTests: XCTestCase {
    func testTheAPIAnswersAsItsOpenAPIDocumentSaysUnderAFuzzer() throws {
        guard ChildProcess.have("schemathesis") else {
            let message = "the API's schema check needs schemathesis (PyPI); .ci/run installs it"
            if ProcessInfo.processInfo.environment["SWIFTTUNER_REQUIRE_CONSUMERS"] == "1" {
                return XCTFail("required by SWIFTTUNER_REQUIRE_CONSUMERS: \(message)")
            }
            throw XCTSkip(message)
        }
        let folder = try fixtureFolder()
        let dashboard = try ServedDashboard(folder: folder.path)
        let document = "http://127.0.0.1:\(dashboard.port)/api/openapi.json"
        // Once with the keys and numbers the fuzzer makes up (404s and 400s), once with a study
        // and a trial that exist (the full answers), each run in a folder of its own.
        for parameters in ["", "[parameters]\nkey = \"guide-failed\"\nnumber = 1\n"] {
            let work = TemporaryDirectory()
            try parameters.write(
                toFile: (work.path as NSString).appendingPathComponent("schemathesis.toml"), atomically: true,
                encoding: .utf8)
            // A run takes a few seconds; `timeout` ends one that would not.
            let run = try ChildProcess.run(
                "timeout",
                [
                    "300", "schemathesis", "run", document, "--checks", "all", "--max-examples", "40", "--seed", "7",
                    "--request-timeout", "10", "--no-color",
                ], in: work.path)
            XCTAssertEqual(run.code, 0, run.stdout + run.stderr)
            XCTAssert(run.stdout.contains("No issues found"), run.stdout)
            XCTAssert(run.stdout.contains("Tested: 4"), "all four operations tested: \(run.stdout)")
        }
    }
}
