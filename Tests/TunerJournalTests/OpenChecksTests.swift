import Foundation
import TunerCore
@testable import TunerJournal
import TunerTestSupport
import XCTest

/// S25: opening a study checks it first, refuses cleanly and never modifies the file;
/// older schemas migrate forward.
final class OpenChecksTests: XCTestCase {
    let directory = TemporaryDirectory()
    var path: String { directory.file("study/journal.sqlite") }

    func descriptor(kind: String = "GridSearch", objective: Objective = Objective("val_loss", direction: .min),
                    space: SearchSpace? = nil) throws -> StudyDescriptor {
        StudyDescriptor(name: "study", directory: directory.path, tunerKind: kind, objective: objective, seed: 1,
                        space: try space ?? lineSpace(5).space)
    }

    /// Makes a journal with two trials, closes it, and returns its bytes.
    func makeJournal() throws -> Data {
        do {
            let journal = try StudyJournal.open(at: path, study: try descriptor())
            let session = try journal.startSession(limits: "{}", pid: 1, host: "h")
            for n in 0..<2 {
                let (_, attempt) = try journal.createTrial(number: n, values: ["x": .int(n)], seed: 7, session: session.id!)
                try journal.finishAttempt(attempt, AttemptEnd(outcome: .completed, duration: 0.1, score: 0.5,
                                                              metrics: ["val_loss": 0.5], trialStatus: .completed))
            }
            try journal.endSession(session.id!, reason: .completed, message: nil)
        }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    func assertRefused(_ kind: JournalError.Kind, _ expected: String, descriptor: StudyDescriptor? = nil,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try StudyJournal.open(at: path, study: try descriptor ?? self.descriptor()), file: file, line: line) { error in
            XCTAssertEqual((error as? JournalError)?.kind, kind, "\(error)", file: file, line: line)
            XCTAssert("\(error)".contains(expected), "\(error)", file: file, line: line)
            XCTAssert("\(error)".contains(path), "names the file", file: file, line: line)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "the file is unchanged", file: file, line: line)
        if [.notAJournal, .corrupted, .foreignDatabase, .newerSchema].contains(kind) {
            XCTAssertThrowsError(try StudyJournal.openForReading(at: path), "reports refuse it too", file: file, line: line)
        }
    }

    func testS25ANonSQLiteFileIsRefused() throws {
        try FileManager.default.createDirectory(atPath: directory.file("study"), withIntermediateDirectories: true)
        try Data("name,value\n1,2\n".utf8).write(to: URL(fileURLWithPath: path))
        try assertRefused(.notAJournal, "not a SQLite database")
    }

    /// A process killed while it creates a journal leaves an empty file, or a database whose
    /// header is written but which has no table yet: nothing to keep, so it becomes a new journal.
    func testS24AJournalLeftEmptyByAKilledCreationBecomesANewOne() throws {
        try FileManager.default.createDirectory(atPath: directory.file("study"), withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try StudyJournal.openForReading(at: path)) { XCTAssert("\($0)".contains("empty")) }
        XCTAssertEqual(try StudyJournal.open(at: path, study: try descriptor()).trials().count, 0)
        try FileManager.default.removeItem(atPath: path)
        try runPython("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('pragma journal_mode=wal'); c.close()", path)
        XCTAssertEqual(try StudyJournal.open(at: path, study: try descriptor()).study().name, "study")
    }

    func testS25ATextFileIsRefused() throws {
        try FileManager.default.createDirectory(atPath: directory.file("study"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        try assertRefused(.notAJournal, "not a study journal")
    }

    func testS25ATruncatedJournalIsRefused() throws {
        let bytes = try makeJournal()
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        try assertRefused(.corrupted, "truncated")
    }

    func testS25AForeignSQLiteDatabaseIsRefused() throws {
        try FileManager.default.createDirectory(atPath: directory.file("study"), withIntermediateDirectories: true)
        try runPython("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table users(id)'); c.commit()", path)
        try assertRefused(.foreignDatabase, "tables: users")
    }

    func testS25ANewerSchemaIsRefused() throws {
        _ = try makeJournal()
        try runPython("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('pragma user_version=99'); c.commit()", path)
        try assertRefused(.newerSchema, "schema version 99")
    }

    func testS25AnotherTunerKindObjectiveOrSpaceIsRefused() throws {
        _ = try makeJournal()
        try assertRefused(.mismatch, "run by GridSearch, not RandomSearch", descriptor: try descriptor(kind: "RandomSearch"))
        try assertRefused(.mismatch, "optimizes", descriptor: try descriptor(objective: Objective("val_loss", direction: .max)))
        try assertRefused(.mismatch, "optimizes", descriptor: try descriptor(objective: Objective("loss", direction: .min)))
        try assertRefused(.mismatch, "'x' changed", descriptor: try descriptor(space: lineSpace(6).space))
        let extra = try lineSpace(5)
        try extra.boolean("shuffle")
        try assertRefused(.mismatch, "'shuffle' is new", descriptor: try descriptor(space: extra.space))
    }

    func testS25AChangedSpaceIsAcceptedWhenAskedExplicitly() throws {
        _ = try makeJournal()
        let journal = try StudyJournal.open(at: path, study: try descriptor(space: lineSpace(6).space),
                                            options: JournalOptions(acceptSpaceChange: true))
        XCTAssertEqual(try journal.study().searchSpace(), try lineSpace(6).space)
        XCTAssertEqual(try journal.trials().count, 2)
    }

    func testS25AStudyLockedByALiveWriterIsRefusedUnchanged() throws {
        _ = try makeJournal()
        let holder = try StudyJournal.open(at: path, study: try descriptor())
        try assertRefused(.locked, "being searched by process \(getpid())")
        _ = holder
    }

    func testS25AnOlderSchemaIsMigratedForwardInOneTransaction() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/journals/v1-study.sqlite")
        try FileManager.default.createDirectory(atPath: directory.file("study"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: path)
        let space = try StudyJournal.openForReading(at: path).study().searchSpace()
        XCTAssertEqual(space, try lineSpace(5).space)
        let journal = try StudyJournal.open(at: path, study: try descriptor(space: space))
        let study = try journal.study()
        XCTAssertEqual(study.streak, 2)
        XCTAssertEqual(study.endCount, 3)
        XCTAssertEqual(try journal.trials().map(\.status), ["COMPLETED", "FAILED", "FAILED"])
        XCTAssertEqual(try journal.attempts().map(\.graceful), [false, false, false])
        XCTAssertEqual(try journal.sessions().first?.host, "old-host")
        let version = try journal.schemaVersion()
        XCTAssertEqual(version, StudyJournal.schemaVersion)
    }

    func testTheSchemaVersionMatchesTheMigrations() {
        XCTAssertEqual(StudyJournal.migrations.count, StudyJournal.schemaVersion)
    }
}

func runPython(_ code: String, _ arguments: String...) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", code] + arguments
    try process.run()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0)
}

/// Text the journal cannot hold as is.
final class JournalTextTests: XCTestCase {
    func testANulCharacterIsKeptAsAVisibleEscapeNotACut() throws {
        let directory = TemporaryDirectory()
        let journal = try StudyJournal.open(at: directory.file("s/journal.sqlite"), study: StudyDescriptor(
            name: "s", directory: directory.path, tunerKind: "GridSearch", objective: Objective("val_loss", direction: .min),
            seed: 1, space: try lineSpace(2).space))
        let session = try journal.startSession(limits: "{}", pid: 1, host: "h")
        let (_, attempt) = try journal.createTrial(number: 0, values: ["x": .int(0)], seed: 1, session: session.id!)
        try journal.finishAttempt(attempt, AttemptEnd(outcome: .error, errorType: "E", message: "before\u{0}after",
                                                      trace: "a\u{0}b", duration: 0, trialStatus: .failed))
        let stored = try XCTUnwrap(try journal.attempts().first)
        XCTAssertEqual(stored.message, "before\\u{0}after")
        XCTAssertEqual(stored.trace, "a\\u{0}b")
    }
}
