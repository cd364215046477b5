import Foundation
import GRDB
import TunerCore
@testable import TunerJournal
import TunerTestSupport
import XCTest

/// S25: opening a study checks it first, refuses cleanly and never modifies the file;
/// older schemas migrate forward.
final class OpenChecksTests: XCTestCase {
    let directory = TemporaryDirectory()
    var path: String { directory.file("study/journal.sqlite") }

    func descriptor(
        kind: TunerKind = .gridSearch, objective: Objective = Objective("val_loss", direction: .min),
        space: SearchSpace? = nil
    ) throws -> StudyDescriptor {
        StudyDescriptor(
            name: "study", directory: directory.path, tunerKind: kind, objective: objective, seed: 1,
            space: try space ?? lineSpace(5).space)
    }

    /// Makes a journal with two trials, closes it, and returns its bytes.
    func makeJournal() throws -> Data {
        do {
            let journal = try StudyJournal.open(at: path, study: try descriptor())
            let session = try journal.startSession(limits: "{}", pid: 1, host: "h")
            for n in 0..<2 {
                let (_, attempt) = try journal.createTrial(
                    number: n, values: ["x": .int(n)], seed: 7, session: session.id!)
                try journal.finishAttempt(
                    attempt,
                    AttemptEnd(
                        outcome: .completed, duration: 0.1, score: 0.5,
                        metrics: ["val_loss": 0.5], trialStatus: .completed))
            }
            try journal.endSession(session.id!, reason: .completed, message: nil)
        }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// A reading without the trials' metrics leaves them out and nothing else.
    func testTrialsWithoutMetricsKeepEveryOtherColumn() throws {
        _ = try makeJournal()
        let journal = try StudyJournal.openForReading(at: path)
        let whole = try journal.trials(), light = try journal.trials(metrics: false)
        XCTAssertEqual(whole.count, 2)
        XCTAssertEqual(whole.compactMap(\.metrics).count, 2)
        XCTAssertEqual(light.compactMap(\.metrics).count, 0)
        XCTAssertEqual(light, whole.map { trial in
            var trial = trial
            trial.metrics = nil
            return trial
        })
    }

    func assertRefused(
        _ kind: JournalError.Kind, _ expected: String, descriptor: StudyDescriptor? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let folder = (path as NSString).deletingLastPathComponent
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0 != "journal.sqlite.lock" }
            .sorted()
        defer {
            let after = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter {
                $0 != "journal.sqlite.lock"
            }.sorted()
            XCTAssertEqual(after, files, "nothing is left beside the refused file", file: file, line: line)
        }
        XCTAssertThrowsError(
            try StudyJournal.open(at: path, study: try descriptor ?? self.descriptor()), file: file, line: line
        ) { error in
            XCTAssertEqual((error as? JournalError)?.kind, kind, "\(error)", file: file, line: line)
            XCTAssert("\(error)".contains(expected), "\(error)", file: file, line: line)
            XCTAssert("\(error)".contains(path), "names the file", file: file, line: line)
        }
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: path)), before, "the file is unchanged", file: file, line: line)
        if [.notAJournal, .corrupted, .foreignDatabase, .newerSchema].contains(kind) {
            XCTAssertThrowsError(
                try StudyJournal.openForReading(at: path), "reports refuse it too", file: file, line: line)
        }
    }

    func testS25ANonSQLiteFileIsRefused() throws {
        try FileManager.default.createDirectory(atPath: directory.file("study"), withIntermediateDirectories: true)
        try Data("name,value\n1,2\n".utf8).write(to: URL(fileURLWithPath: path))
        try assertRefused(.notAJournal, "not a SQLite database")
    }

    /// A journal is created complete under a temporary name: an empty file or a database
    /// without tables is never SwiftTuner's, so it is refused, never silently started over
    /// (its log may be missing), and a temporary file a killed creation left is replaced.
    func testS26bAnEmptyOrTablelessJournalIsRefusedNeverStartedOver() throws {
        try FileManager.default.createDirectory(atPath: directory.file("study"), withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: path))
        try assertRefused(.corrupted, "empty (0 bytes)")
        try Data("not a log".utf8).write(to: URL(fileURLWithPath: path + "-wal"))
        try assertRefused(.corrupted, "write-ahead log (journal.sqlite-wal) lies beside it")
        try FileManager.default.removeItem(atPath: path + "-wal")
        try FileManager.default.removeItem(atPath: path)
        try ForeignEdit.execute(path, "PRAGMA journal_mode = WAL")
        try assertRefused(.corrupted, "its write-ahead log (journal.sqlite-wal) is missing")
        XCTAssertThrowsError(try StudyJournal.openForReading(at: path)) {
            XCTAssertFalse("\($0)".contains("stopped while creating"))
        }
        XCTAssertEqual(
            try StudyJournal.open(at: path, study: try descriptor(), options: JournalOptions(overwrite: true)).trials()
                .count, 0)
    }

    func testS25ACreationKilledHalfwayLeavesNoJournalAndTheNextOpenReplacesItsLeftover() throws {
        try FileManager.default.createDirectory(atPath: directory.file("study"), withIntermediateDirectories: true)
        try Data("half-written".utf8).write(to: URL(fileURLWithPath: path + ".new"))
        let journal = try StudyJournal.open(at: path, study: try descriptor())
        XCTAssertEqual(try journal.study().name, "study")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".new"))
    }

    func testS25AForeignWriteAheadLogIsRefused() throws {
        _ = try makeJournal()
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: path + "-wal"))
        try assertRefused(.corrupted, "is not a SQLite write-ahead log")
        var header = Data([0x37, 0x7f, 0x06, 0x82, 0, 0x2d, 0xe2, 0x18, 0, 0, 0x80, 0])
        header.append(Data(repeating: 0, count: 4096 - header.count))
        try header.write(to: URL(fileURLWithPath: path + "-wal"))
        try assertRefused(.corrupted, "belongs to another database (pages of 32768 bytes")
    }

    func testS25IntegrityCheckFindsADamagedIndex() throws {
        _ = try makeJournal()
        // The index no longer matches its table: quick_check does not look, integrity_check does.
        let index = try XCTUnwrap(
            try ForeignEdit.row(
                path,
                """
                SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master WHERE name = 'attempt_by_session'
                """))
        try ForeignEdit.execute(
            path, "PRAGMA writable_schema = ON; DELETE FROM sqlite_master WHERE name = 'attempt_by_session'")
        try ForeignEdit.execute(path, "UPDATE attempt SET session = session + 40")
        try ForeignEdit.execute(
            path, "PRAGMA writable_schema = ON; INSERT INTO sqlite_master VALUES (?, ?, ?, ?, ?)",
            arguments: StatementArguments(Array(index.databaseValues)))
        XCTAssertEqual(try ForeignEdit.row(path, "PRAGMA quick_check")?[0], "ok")
        try assertRefused(.corrupted, "integrity check says")
    }

    func testS25AFailedMigrationLeavesTheJournalByteIdentical() throws {
        let fixture = repositoryRoot.appendingPathComponent("Fixtures/journals/v1-study.sqlite")
        try FileManager.default.createDirectory(atPath: directory.file("study"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: path)
        // A table in the way of version 3's: the migration fails partway.
        try ForeignEdit.execute(path, "CREATE TABLE amendment (x)")
        let space = try StudyJournal.openForReading(at: path).study().searchSpace()
        try assertRefused(.writeFailed, "The journal is unchanged", descriptor: try descriptor(space: space))
        XCTAssertEqual(try StudyJournal.openForReading(at: path).schemaVersion(), 1)
    }

    func testS25AMigrationInterruptedAfterItsCopyIsFinishedByTheNextOpen() throws {
        let fixture = repositoryRoot.appendingPathComponent("Fixtures/journals/v1-study.sqlite")
        try FileManager.default.createDirectory(atPath: directory.file("study"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: path)
        let space = try StudyJournal.openForReading(at: path).study().searchSpace()
        do { _ = try StudyJournal.open(at: path, study: try descriptor(space: space)) }
        // As if the process died after the migrated copy was complete, before it replaced the journal.
        try FileManager.default.copyItem(atPath: path, toPath: path + ".migrated")
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: path)
        let journal = try StudyJournal.open(at: path, study: try descriptor(space: space))
        XCTAssertEqual(try journal.schemaVersion(), StudyJournal.schemaVersion)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".migrated"))
    }

    func testS25ANegativeOrAbsurdSchemaVersionIsRefused() throws {
        for version in [-5, 0, 1_000_000] {
            try? FileManager.default.removeItem(atPath: path)
            _ = try makeJournal()
            try ForeignEdit.execute(path, "PRAGMA user_version = \(version)")
            try assertRefused(version > 3 ? .newerSchema : .corrupted, "schema version \(version)")
        }
    }

    func testS25AFIFOIsRefusedWithoutBlocking() throws {
        try FileManager.default.createDirectory(atPath: directory.file("study"), withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        XCTAssertThrowsError(try StudyJournal.open(at: path, study: try descriptor())) {
            XCTAssert("\($0)".contains("a FIFO"), "\($0)")
        }
        XCTAssertThrowsError(try StudyJournal.openForReading(at: path)) {
            XCTAssert("\($0)".contains("a FIFO"), "\($0)")
        }
    }

    func testS25ALinkToAValidJournalIsFollowed() throws {
        _ = try makeJournal()
        let link = directory.file("elsewhere/journal.sqlite")
        try FileManager.default.createDirectory(atPath: directory.file("elsewhere"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        let journal = try StudyJournal.open(at: link, study: try descriptor())
        XCTAssertEqual(try journal.trials().count, 2)
        XCTAssertEqual(journal.path, path, "the journal, its log and its lock live beside the target")
        XCTAssertThrowsError(try StudyJournal.open(at: path, study: try descriptor()), "one lock, whatever the name")
        XCTAssertEqual(try StudyJournal.openForReading(at: link).trials().count, 2)
    }

    func testS25AnotherStudysJournalOfTheSameShapeIsRefused() throws {
        _ = try makeJournal()
        var other = try descriptor()
        other.name = "other-study"
        try assertRefused(.mismatch, "belongs to the study \"study\", not \"other-study\"", descriptor: other)
    }

    func testS25DamagedValuesAreRefusedNeverACrash() throws {
        for (sql, expected) in [
            ("update trial set status = 'WEIRD' where number = 0", "trial status SwiftTuner does not know"),
            ("update attempt set outcome = 'exploded'", "attempt outcome SwiftTuner does not know"),
            ("update session set stopReason = 'gone'", "stop reason SwiftTuner does not know"),
            ("update study set endCount = 9223372036854775807", "an end count of 9223372036854775807"),
            ("update trial set number = 7 where number = 1", "trial numbers 0…7 for 2 trials"),
        ] {
            try? FileManager.default.removeItem(atPath: path)
            _ = try makeJournal()
            try ForeignEdit.execute(path, sql)
            try assertRefused(.corrupted, expected)
        }
    }

    func testS25AChangedTrialDefinitionIsRefusedUnlessAcceptedAndTheChangeIsJournaled() throws {
        var first = try descriptor()
        first.trialDefinition = #"{"fit":{"epochs":60},"model":{"layers":[1]}}"#
        do { _ = try StudyJournal.open(at: path, study: first) }
        var second = first
        second.trialDefinition = #"{"fit":{"epochs":5},"model":{"layers":[1]}}"#
        try assertRefused(.mismatch, #"fit: {"epochs":60} → {"epochs":5}"#, descriptor: second)
        try assertRefused(.mismatch, "--accept-trial-change", descriptor: second)
        let journal = try StudyJournal.open(at: path, study: second, options: JournalOptions(acceptTrialChange: true))
        XCTAssertEqual(try journal.study().trialDefinition, second.trialDefinition)
        let rows = try journal.read { db in try Row.fetchAll(db, sql: "SELECT what, previous, current FROM amendment") }
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows.first?["what"], "trial")
        XCTAssertEqual(rows.first?["previous"], first.trialDefinition)
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
        try ForeignEdit.execute(path, "CREATE TABLE users(id)")
        try assertRefused(.foreignDatabase, "tables: users")
    }

    /// A value edited in after the open's checks (a reader open while someone edits the file)
    /// is an error that names it, never a silent default.
    func testAnUnknownStoredValueIsAnErrorNamingIt() throws {
        _ = try makeJournal()
        let reader = try StudyJournal.openForReading(at: path)
        try ForeignEdit.execute(path, "UPDATE trial SET status = 'PAUSED' WHERE number = 1")
        XCTAssertThrowsError(try reader.trials()) { error in
            XCTAssertEqual((error as? JournalError)?.kind, .corrupted)
            XCTAssert("\(error)".contains("\"PAUSED\"") && "\(error)".contains("COMPLETED"), "\(error)")
        }
        try ForeignEdit.execute(path, "UPDATE trial SET status = 'COMPLETED'; UPDATE session SET stopReason = 'bored'")
        XCTAssertThrowsError(try reader.sessions()) { error in
            XCTAssertEqual((error as? JournalError)?.kind, .corrupted)
            XCTAssert("\(error)".contains("bored"), "\(error)")
        }
    }

    func testS25ANewerSchemaIsRefused() throws {
        _ = try makeJournal()
        try ForeignEdit.execute(path, "PRAGMA user_version = 99")
        try assertRefused(.newerSchema, "schema version 99")
    }

    func testS25AnotherTunerKindObjectiveOrSpaceIsRefused() throws {
        _ = try makeJournal()
        try assertRefused(
            .mismatch, "run by GridSearch, not RandomSearch", descriptor: try descriptor(kind: "RandomSearch"))
        try assertRefused(
            .mismatch, "optimizes", descriptor: try descriptor(objective: Objective("val_loss", direction: .max)))
        try assertRefused(
            .mismatch, "optimizes", descriptor: try descriptor(objective: Objective("loss", direction: .min)))
        try assertRefused(.mismatch, "'x' changed", descriptor: try descriptor(space: lineSpace(6).space))
        let extra = try lineSpace(5)
        try extra.boolean("shuffle")
        try assertRefused(.mismatch, "'shuffle' is new", descriptor: try descriptor(space: extra.space))
    }

    func testS25AChangedSpaceIsAcceptedWhenAskedExplicitly() throws {
        _ = try makeJournal()
        let journal = try StudyJournal.open(
            at: path, study: try descriptor(space: lineSpace(6).space),
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
        let fixture = repositoryRoot.appendingPathComponent("Fixtures/journals/v1-study.sqlite")
        try FileManager.default.createDirectory(atPath: directory.file("study"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: path)
        let space = try StudyJournal.openForReading(at: path).study().searchSpace()
        XCTAssertEqual(space, try lineSpace(5).space)
        let journal = try StudyJournal.open(at: path, study: try descriptor(space: space))
        let study = try journal.study()
        XCTAssertEqual(study.streak, 2)
        XCTAssertEqual(study.endCount, 3)
        XCTAssertEqual(try journal.trials().map(\.status.rawValue), ["COMPLETED", "FAILED", "FAILED"])
        XCTAssertEqual(try journal.attempts().map(\.graceful), [false, false, false])
        XCTAssertEqual(try journal.sessions().first?.host, "old-host")
        let version = try journal.schemaVersion()
        XCTAssertEqual(version, StudyJournal.schemaVersion)
    }

    func testTheSchemaVersionMatchesTheMigrations() {
        XCTAssertEqual(StudyJournal.migrations.count, StudyJournal.schemaVersion)
    }
}

/// Text the journal cannot hold as is.
final class JournalTextTests: XCTestCase {
    func testANulCharacterIsKeptAsAVisibleEscapeNotACut() throws {
        let directory = TemporaryDirectory()
        let journal = try StudyJournal.open(
            at: directory.file("s/journal.sqlite"),
            study: StudyDescriptor(
                name: "s", directory: directory.path, tunerKind: "GridSearch",
                objective: Objective("val_loss", direction: .min),
                seed: 1, space: try lineSpace(2).space))
        let session = try journal.startSession(limits: "{}", pid: 1, host: "h")
        let (_, attempt) = try journal.createTrial(number: 0, values: ["x": .int(0)], seed: 1, session: session.id!)
        try journal.finishAttempt(
            attempt,
            AttemptEnd(
                outcome: .error, errorType: "E", message: "before\u{0}after",
                trace: "a\u{0}b", duration: 0, trialStatus: .failed))
        let stored = try XCTUnwrap(try journal.attempts().first)
        XCTAssertEqual(stored.message, "before\\u{0}after")
        XCTAssertEqual(stored.trace, "a\\u{0}b")
    }
}

/// S26a: a journal on read-only media reads as it is.
final class ReadOnlyMediaTests: XCTestCase {
    func testAFinishedJournalReadsFromReadOnlyMedia() throws {
        let source = TemporaryDirectory()
        let path = source.file("study/journal.sqlite")
        do {
            let journal = try StudyJournal.open(
                at: path,
                study: StudyDescriptor(
                    name: "study", directory: source.path, tunerKind: "GridSearch",
                    objective: Objective("val_loss", direction: .min),
                    seed: 1, space: try lineSpace(3).space))
            let session = try journal.startSession(limits: "{}", pid: 1, host: "h")
            let (_, attempt) = try journal.createTrial(number: 0, values: ["x": .int(0)], seed: 1, session: session.id!)
            try journal.finishAttempt(
                attempt,
                AttemptEnd(
                    outcome: .completed, duration: 0.1, score: 0.5, metrics: ["val_loss": 0.5],
                    trialStatus: .completed))
            try journal.endSession(session.id!, reason: .completed, message: nil)
            journal.consolidate()
        }
        let mount = TemporaryDirectory()
        guard Glibc.mount("none", mount.path, "tmpfs", 0, nil) == 0 else {
            throw XCTSkip("mounting a tmpfs needs root (CI runs as root): \(String(cString: strerror(errno)))")
        }
        defer { umount(mount.path) }
        try FileManager.default.copyItem(atPath: path, toPath: mount.file("journal.sqlite"))
        XCTAssertEqual(
            Glibc.mount("none", mount.path, "tmpfs", UInt(MS_REMOUNT | MS_RDONLY), nil), 0,
            String(cString: strerror(errno)))
        XCTAssertThrowsError(
            try Data("x".utf8).write(to: URL(fileURLWithPath: mount.file("probe"))), "the media is read-only")
        let reader = try StudyJournal.openForReading(at: mount.file("journal.sqlite"))
        XCTAssertEqual(try reader.snapshot { try reader.trials().map(\.status.rawValue) }, ["COMPLETED"])
        XCTAssertEqual(try reader.sessions().last?.stopReason, .completed)
        // A journal copied with its log mid-search, in WAL mode: a message, never a crash.
        let live = TemporaryDirectory()
        let livePath = live.file("study/journal.sqlite")
        let writer = try StudyJournal.open(
            at: livePath,
            study: StudyDescriptor(
                name: "study", directory: live.path, tunerKind: "GridSearch",
                objective: Objective("val_loss", direction: .min),
                seed: 1, space: try lineSpace(3).space))
        _ = try writer.startSession(limits: "{}", pid: 1, host: "h")
        XCTAssertEqual(Glibc.mount("none", mount.path, "tmpfs", UInt(MS_REMOUNT), nil), 0)
        try FileManager.default.copyItem(atPath: livePath, toPath: mount.file("live.sqlite"))
        try FileManager.default.copyItem(atPath: livePath + "-wal", toPath: mount.file("live.sqlite-wal"))
        XCTAssertEqual(Glibc.mount("none", mount.path, "tmpfs", UInt(MS_REMOUNT | MS_RDONLY), nil), 0)
        do {
            let copy = try StudyJournal.openForReading(at: mount.file("live.sqlite"))
            XCTAssertEqual(try copy.sessions().count, 1)
        } catch {
            XCTAssert("\(error)".contains("live.sqlite"), "\(error)")
        }
    }
}

/// S26a: a reader's snapshot is one state, whatever the writer commits meanwhile.
final class SnapshotTests: XCTestCase {
    func testReadsInsideASnapshotSeeOneStateWhileTheWriterCommits() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("study/journal.sqlite")
        let writer = try StudyJournal.open(
            at: path,
            study: StudyDescriptor(
                name: "study", directory: directory.path, tunerKind: "GridSearch",
                objective: Objective("val_loss", direction: .min),
                seed: 1, space: try lineSpace(3).space))
        let session = try writer.startSession(limits: "{}", pid: 1, host: "h")
        let (_, attempt) = try writer.createTrial(number: 0, values: ["x": .int(0)], seed: 1, session: session.id!)
        let reader = try StudyJournal.openForReading(at: path)
        let (trials, attempts) = try reader.snapshot { () -> ([TrialRecord], [AttemptRecord]) in
            let trials = try reader.trials()
            // The writer completes the trial between the two reads.
            try writer.finishAttempt(
                attempt,
                AttemptEnd(
                    outcome: .completed, duration: 0.1, score: 0.5, metrics: ["val_loss": 0.5],
                    trialStatus: .completed))
            return (trials, try reader.attempts())
        }
        XCTAssertEqual(trials.map(\.status.rawValue), ["RUNNING"])
        XCTAssertEqual(
            attempts.map { $0.outcome?.rawValue ?? "open" }, ["open"], "the same state as the trials read before")
        XCTAssertEqual(
            try reader.attempts().map { $0.outcome?.rawValue ?? "open" }, ["completed"], "a new read sees the commit")
    }
}
