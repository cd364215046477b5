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

/// `Reports/` holds the reports of the fixture journals; it must match what the code renders
/// now. Regenerate with `swift run TunerMaintainer sample-reports` from the repository's root.
final class SampleReportsTests: XCTestCase {
    func testReportsAreCurrent() throws {
        let rendered = try SampleStudies.renderReports(root: repositoryRoot)
        XCTAssertEqual(rendered.count, SampleStudies.names.count * 3 + 1, "every fixture journal is present")
        let folder = repositoryRoot.appendingPathComponent("Reports")
        for (name, data) in rendered.sorted(by: { $0.key < $1.key }) {
            let onDisk = try? Data(contentsOf: folder.appendingPathComponent(name))
            XCTAssertEqual(
                onDisk, data,
                "Reports/\(name) is stale: run `swift run TunerMaintainer sample-reports` from the repository's root")
        }
    }

    func testTheSampleReportsValidate() throws {
        let rendered = try SampleStudies.renderReports(root: repositoryRoot)
        let validator = try XMLSchemaValidator(schemaAt: junitSchema)
        for (name, data) in rendered where name.hasSuffix(".junit.xml") {
            XCTAssertEqual(validator.validate(data), [], name)
        }
    }
}
