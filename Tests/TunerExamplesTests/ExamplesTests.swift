import Foundation
import SwiftTuner
import TunerExamples
import TunerTestSupport
import XCTest

/// Every Swift example of the README and the documentation stands, line for line, in the
/// TunerExamples target, which CI compiles; the examples also run.
final class ExamplesTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The fenced Swift blocks of a Markdown file, without their `import` lines.
    static func swiftBlocks(_ path: URL) throws -> [(line: Int, lines: [String])] {
        var blocks: [(Int, [String])] = [], current: [String]?, start = 0
        for (number, line) in try String(contentsOf: path, encoding: .utf8).components(separatedBy: "\n").enumerated() {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```swift" {
                current = []
                start = number + 1
            } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
                blocks.append((start, current ?? []))
                current = nil
            } else if current != nil {
                current?.append(line)
            }
        }
        return blocks.map { block in
            (
                block.0,
                block.1.map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                    !$0.isEmpty && !$0.hasPrefix("import ")
                }
            )
        }
    }

    /// The documents whose examples must compile.
    static var documents: [URL] {
        let catalog = root.appendingPathComponent("Sources/SwiftTuner/SwiftTuner.docc")
        let articles = (try? FileManager.default.contentsOfDirectory(atPath: catalog.path)) ?? []
        return [root.appendingPathComponent("README.md")]
            + articles.filter { $0.hasSuffix(".md") }.sorted().map { catalog.appendingPathComponent($0) }
    }

    func testEverySwiftExampleOfTheDocsIsInTheExamplesTarget() throws {
        let folder = Self.root.appendingPathComponent("Tests/TunerExamples")
        var source: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        where file.hasSuffix(".swift") {
            source += try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                .components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        var checked = 0
        for document in Self.documents {
            for block in try Self.swiftBlocks(document) {
                checked += 1
                // The block's lines, in order and consecutive, somewhere in the examples.
                let count = block.lines.count
                var found = false
                for start in source.indices where start + count <= source.count {
                    if Array(source[start..<(start + count)]) == block.lines {
                        found = true
                        break
                    }
                }
                XCTAssert(
                    found,
                    "\(document.lastPathComponent):\(block.line): this example is not in Tests/TunerExamples "
                        + "as written, so CI does not compile it")
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 4, "the README's examples were not found")
    }

    /// Makes a fresh folder the current directory, as a user's program would run; the returned
    /// closure goes back and removes it.
    func enterFreshFolder() throws -> (folder: URL, leave: () -> Void) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("examples-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let previous = FileManager.default.currentDirectoryPath
        XCTAssert(FileManager.default.changeCurrentDirectoryPath(folder.path))
        return (
            folder,
            {
                _ = FileManager.default.changeCurrentDirectoryPath(previous)
                try? FileManager.default.removeItem(at: folder)
            }
        )
    }

    /// Runs `body` in a fresh folder as the current directory.
    func inFreshFolder<T>(_ body: (URL) throws -> T) throws -> T {
        let (folder, leave) = try enterFreshFolder()
        defer { leave() }
        return try body(folder)
    }

    func testTheAsyncExampleRuns() async throws {
        let (_, leave) = try enterFreshFolder()
        defer { leave() }
        let outcome = try await readmeAsyncTrialBodyExample()
        XCTAssertEqual(outcome.stopReason, .completed)
        XCTAssertEqual(outcome.completedTrials, 5)
    }

    func testTheExamplesRun() throws {
        try inFreshFolder { _ in try readmeGuideExample() }
        XCTAssertEqual(try inFreshFolder { _ in try readmeTrialBodyExample() }.stopReason, .completed)
        try inFreshFolder { folder in
            let study = folder.appendingPathComponent(".tuner/seed-guide-tolerate")
            try FileManager.default.createDirectory(at: study, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: Self.root.appendingPathComponent("Fixtures/journals/guide-tolerate/journal.sqlite"),
                to: study.appendingPathComponent("journal.sqlite"))
            try readmeReportsExample()
            XCTAssert(FileManager.default.fileExists(atPath: folder.appendingPathComponent("report.html").path))
            XCTAssert(FileManager.default.fileExists(atPath: folder.appendingPathComponent("junit.xml").path))
        }
        try inFreshFolder { folder in
            let hp = HyperParameters()
            try hp.float("learning_rate", min: 1e-4, max: 1e-1, sampling: .log)
            try workerExample(hp)
            let journal = try StudyJournal.openForReading(
                at: folder.appendingPathComponent("shared/journal.sqlite").path)
            XCTAssertEqual(try journal.trials().count, 200)
            XCTAssertEqual(try journal.sessions().map(\.worker), ["worker-\(getpid())"])
        }
        let trainer = try readmeTrainerExample()
        XCTAssertEqual(trainer.parameters, 1271)
        XCTAssertFalse(trainer.valLoss.isEmpty)
    }

    func testThePostgresWorkerExampleSearchesAStudyKeptInTheDatabase() throws {
        let url = try PostgresTestServer.makeDatabase("example") { XCTSkip($0) }
        let hp = HyperParameters()
        try hp.float("learning_rate", min: 1e-4, max: 1e-1, sampling: .log)
        try postgresWorkerExample(hp, url: url)
        let store = try PostgresStudyStore.openForReading(url: url, study: "shared")
        XCTAssertEqual(try store.dump().trials.count, 20)
        XCTAssertEqual(try store.dump().trials.filter { $0.status == .completed }.count, 20)
        let sessions = try store.sessions()
        XCTAssertEqual(sessions.map(\.stopReason), [.completed])
        XCTAssertEqual(sessions.compactMap(\.worker).count, 1, "the worker id defaults to host-pid")
    }
}
