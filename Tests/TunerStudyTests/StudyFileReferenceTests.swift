import Foundation
import TunerStudy
import TunerTestSupport
import XCTest

/// The study-file reference of the documentation lists exactly the keys the parser accepts.
final class StudyFileReferenceTests: XCTestCase {
    /// The dotted key paths the reference's tables document (`trial.fit.epochs`).
    func documentedKeys() throws -> Set<String> {
        let article = repositoryRoot.appendingPathComponent("Sources/SwiftTuner/SwiftTuner.docc/StudyFiles.md")
        var keys = Set<String>()
        for line in try String(contentsOf: article, encoding: .utf8).components(separatedBy: "\n")
        where line.hasPrefix("| `") {
            let cell = line.dropFirst(3).prefix { $0 != "`" }
            keys.insert(String(cell))
        }
        return keys
    }

    func testEveryKeyTheParserAcceptsIsDocumentedAndNoOther() throws {
        let documented = try documentedKeys()
        var accepted = Set<String>()
        for (path, keys) in StudyFileKeys.sections {
            for key in keys { accepted.insert(path.isEmpty ? key : "\(path).\(key)") }
        }
        XCTAssertEqual(
            accepted.subtracting(documented).sorted(), [], "keys the parser accepts that StudyFiles.md does not list")
        XCTAssertEqual(
            documented.subtracting(accepted).sorted(), [], "keys StudyFiles.md lists that the parser refuses")
    }
}
