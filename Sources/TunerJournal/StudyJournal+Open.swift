import Foundation
import GRDB
import TunerCore
import CSQLiteShim

extension StudyJournal {
    /// Opens a study's journal for searching: checks it, locks it, migrates it, or creates it.
    ///
    /// Every check that can refuse runs before anything is written, and a failed open leaves
    /// the file byte-identical with nothing new beside it (S25). A new journal is created under
    /// a temporary name and renamed into place complete, and an older one is migrated on a
    /// copy, so that no crash leaves a half-made or half-migrated journal. An existing study
    /// keeps its own seed; `study.seed` is used only for a new one.
    ///
    /// - Throws: ``JournalError`` naming what was found, what was expected and what to do.
    public static func open(
        at requestedPath: String, study descriptor: StudyDescriptor,
        options: JournalOptions = JournalOptions()
    ) throws -> StudyJournal {
        let fm = FileManager.default
        let directory = (requestedPath as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw JournalError(
                    .writeFailed, path: requestedPath,
                    "cannot create the study directory \(directory): \(error.localizedDescription)")
            }
        }
        // A link to a journal is followed: the journal, its log and its lock live beside the
        // file itself, whatever name it is opened by.
        let path = try resolvedPath(requestedPath)
        if let worker = options.worker {
            return try openAsWorker(worker, path: path, study: descriptor, options: options)
        }
        guard let lock = try StudyLock(path: path + ".lock") else {
            throw JournalError(.locked, path: path, lockedMessage(path: path))
        }
        return try openChecked(path: path, study: descriptor, options: options, lock: lock, membership: nil)
    }

    /// Opens a journal once its lock is held: checks, migrates or creates it.
    static func openChecked(
        path: String, study descriptor: StudyDescriptor, options: JournalOptions,
        lock: StudyLock, membership: WorkerMembership?
    ) throws -> StudyJournal {
        let fm = FileManager.default
        try finishInterruptedMigration(path)
        if options.overwrite {
            for suffix in ["", "-wal", "-shm", "-journal"] where fm.fileExists(atPath: path + suffix) {
                do { try fm.removeItem(atPath: path + suffix) } catch {
                    throw JournalError(
                        .writeFailed, path: path,
                        "cannot delete the journal for overwrite: \(error.localizedDescription)")
                }
            }
        }
        let spaceJSON = try encodeSpace(descriptor.space)
        var amendments: [(what: String, previous: String?, current: String)] = []
        if fileKind(path) != nil {
            let (version, study) = try withoutLeftovers(path) {
                let (version, study) = try inspect(path: path)
                try descriptor.check(study, path: path, options: options)
                return (version, study)
            }
            let extended = (try? study.searchSpace())?.extends(descriptor.space) ?? false
            if study.space != spaceJSON && !extended { amendments.append(("space", study.space, spaceJSON)) }
            if let current = descriptor.trialDefinition, study.trialDefinition != current {
                amendments.append(("trial", study.trialDefinition, current))
            }
            if version < migrations.count {
                // A migration replaces the file: never under another worker's open connection.
                if membership != nil {
                    guard try lock.ifAlone({ try migrateOnACopy(path, from: version) }) else {
                        throw JournalError(
                            .locked, path: path,
                            "the journal has schema version \(version) and other workers are using it; this version " +
                                "of SwiftTuner migrates it to \(migrations.count) only when no other worker runs. " +
                                "Stop them, start this one, then the others."
                        )
                    }
                } else {
                    try migrateOnACopy(path, from: version)
                }
            }
        } else {
            try create(path, descriptor: descriptor, spaceJSON: spaceJSON)
        }

        var config = Configuration()
        config.journalMode = .wal
        config.label = "journal"
        // A reader may hold the file for a moment (while the journal leaves or enters WAL mode).
        config.busyMode = .timeout(10)
        let synchronous = options.synchronous.rawValue
        let maxPageCount = options.maxPageCount
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            if let maxPageCount { try db.execute(sql: "PRAGMA max_page_count = \(maxPageCount)") }
        }
        let dbQueue: DatabaseQueue
        do {
            dbQueue = try DatabaseQueue(path: path, configuration: config)
        } catch let error as DatabaseError {
            throw JournalError(
                .writeFailed, path: path,
                "cannot open the journal for writing: \(error.message ?? "\(error.resultCode)")")
        }
        do {
            // Set after GRDB's WAL setup, which itself sets synchronous = NORMAL.
            try dbQueue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        } catch let error as DatabaseError {
            throw JournalError(
                .writeFailed, path: path, "cannot configure the journal: \(error.message ?? "\(error.resultCode)")")
        }
        let journal = StudyJournal(path: path, dbQueue: dbQueue, lock: lock, membership: membership)
        if !amendments.isEmpty {
            // Accepted explicitly (check refused it otherwise): replaced, and journaled.
            try journal.write { db in
                for amendment in amendments {
                    let column = amendment.what == "space" ? "space" : "trialDefinition"
                    try db.execute(sql: "UPDATE study SET \(column) = ? WHERE id = 1", arguments: [amendment.current])
                    if amendment.previous != nil {
                        try db.execute(
                            sql: "INSERT INTO amendment (at, what, previous, current) VALUES (?, ?, ?, ?)",
                            arguments: [
                                Date().timeIntervalSince1970, amendment.what, amendment.previous, amendment.current,
                            ])
                    }
                }
            }
        }
        return journal
    }

    /// The path a journal is opened by: a symbolic link resolved to its target.
    static func resolvedPath(_ path: String) throws -> String {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return path }
        guard let resolved = realpath(path, nil) else {
            throw JournalError(
                .missing, path: path,
                "the journal is a link to " +
                    "\((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"), which does not " +
                    "exist. Fix the link, or remove it to start a new study."
            )
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// What is at `path`: `nil` when nothing; a regular file passes, anything else is refused.
    static func fileKind(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    /// Refuses what is not a regular file (a FIFO, a device, a folder) before opening it: a
    /// FIFO would block the open.
    static func requireRegularFile(_ path: String) throws {
        guard let kind = fileKind(path) else { return }
        guard kind != S_IFREG else { return }
        let name: String
        switch kind {
        case S_IFIFO: name = "a FIFO (named pipe)"
        case S_IFDIR: name = "a folder"
        case S_IFCHR, S_IFBLK: name = "a device"
        case S_IFSOCK: name = "a socket"
        default: name = "not a regular file"
        }
        throw JournalError(
            .notAJournal, path: path, "this is \(name), not a study journal. Choose another project name, or remove it."
        )
    }

    /// Creates a journal complete under a temporary name, then renames it into place: a crash
    /// leaves either no journal or a whole one, never an empty file.
    static func create(_ path: String, descriptor: StudyDescriptor, spaceJSON: String) throws {
        let temporary = path + ".new"
        let fm = FileManager.default
        for suffix in ["", "-journal", "-wal", "-shm"] { try? fm.removeItem(atPath: temporary + suffix) }
        do {
            var config = Configuration()
            config.label = "journal-create"
            let queue = try DatabaseQueue(path: temporary, configuration: config)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try queue.write { db in
                try migrate(db, from: 0)
                try StudyRecord(
                    name: descriptor.name, directory: descriptor.directory, tunerKind: descriptor.tunerKind,
                    objectiveName: descriptor.objective.name, direction: descriptor.objective.direction,
                    seed: Int64(bitPattern: descriptor.seed), space: spaceJSON,
                    createdAt: Date().timeIntervalSince1970, streak: 0, endCount: 0,
                    trialDefinition: descriptor.trialDefinition
                ).insert(db)
            }
            try queue.close()
            try renameDurably(temporary, to: path)
        } catch {
            for suffix in ["", "-journal"] { try? fm.removeItem(atPath: temporary + suffix) }
            if let error = error as? JournalError { throw error }
            throw JournalError(.writeFailed, path: path, "cannot create the journal: \(error)")
        }
    }

    /// Migrates an older journal forward on a copy, so that the journal stays byte-identical
    /// unless the whole migration succeeds (S25). The copy takes the journal's log with it,
    /// leaves as one file, is renamed to `.migrated`, and then replaces the journal; an open
    /// that finds a `.migrated` file finishes that last step first.
    static func migrateOnACopy(_ path: String, from version: Int) throws {
        let fm = FileManager.default
        let copy = path + ".migrating", done = path + ".migrated"
        for suffix in ["", "-journal", "-wal", "-shm"] { try? fm.removeItem(atPath: copy + suffix) }
        do {
            try fm.copyItem(atPath: path, toPath: copy)
            if fm.fileExists(atPath: path + "-wal") { try fm.copyItem(atPath: path + "-wal", toPath: copy + "-wal") }
            var config = Configuration()
            config.label = "journal-migrate"
            let queue = try DatabaseQueue(path: copy, configuration: config)
            try queue.write { db in try migrate(db, from: version) }
            try queue.writeWithoutTransaction { db in
                _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
            }
            try queue.close()
            try renameDurably(copy, to: done)
        } catch {
            for suffix in ["", "-journal", "-wal", "-shm"] { try? fm.removeItem(atPath: copy + suffix) }
            throw JournalError(
                .writeFailed, path: path,
                "cannot migrate the journal from schema version \(version) to \(migrations.count): \(error). The " +
                    "journal is unchanged."
            )
        }
        try finishInterruptedMigration(path)
    }

    /// Puts a migrated copy in place of its journal: the old log goes first (it belongs to the
    /// old file), then the copy is renamed. Does nothing when no migration was left half-done.
    static func finishInterruptedMigration(_ path: String) throws {
        let done = path + ".migrated", fm = FileManager.default
        guard fm.fileExists(atPath: done) else { return }
        for suffix in ["-wal", "-shm"] where fm.fileExists(atPath: path + suffix) {
            do { try fm.removeItem(atPath: path + suffix) } catch {
                throw JournalError(.writeFailed, path: path, "cannot finish a migration: \(error.localizedDescription)")
            }
        }
        try renameDurably(done, to: path)
    }

    /// Renames a file over another and makes the rename durable (the folder is synced).
    static func renameDurably(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else {
            throw JournalError(
                .writeFailed, path: to, "cannot rename \(from) into place: \(String(cString: strerror(errno)))")
        }
        let folder = (to as NSString).deletingLastPathComponent
        let fd = Glibc.open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Opens a journal read-only, for reports and status: checked, never locked or written,
    /// and nothing is left beside a file it refuses (S26a).
    public static func openForReading(at requestedPath: String) throws -> StudyJournal {
        let path = try resolvedPath(requestedPath)
        guard fileKind(path) != nil else {
            if FileManager.default.fileExists(atPath: path + ".migrated") {
                throw JournalError(
                    .missing, path: path,
                    "a migration of this journal was left half-done; run the search again to finish it.")
            }
            throw JournalError(
                .missing, path: path, "no journal here. Run a search first, or check the study's directory and name.")
        }
        _ = try inspect(path: path)
        return StudyJournal(path: path, dbQueue: try readOnlyQueue(path), lock: nil)
    }

    static func encodeSpace(_ space: SearchSpace) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(space), as: UTF8.self)
    }

    /// A connection that never writes the journal: `query_only`, and no checkpoint when it
    /// closes. It is not opened with SQLITE_OPEN_READONLY because such a connection cannot
    /// rebuild the WAL index a killed writer leaves behind (SQLITE_READONLY_RECOVERY);
    /// rebuilding it touches only the `-shm` file.
    ///
    /// On read-only media (the folder cannot be written) the connection is opened read-only:
    /// a journal that ended cleanly is one file and reads as is (S26a).
    static func readOnlyQueue(_ path: String) throws -> DatabaseQueue {
        var config = Configuration()
        config.label = "journal-reader"
        config.busyMode = .timeout(10)
        let folder = (path as NSString).deletingLastPathComponent
        config.readonly = access(folder.isEmpty ? "." : folder, W_OK) != 0 || access(path, W_OK) != 0
        config.prepareDatabase { db in
            if let connection = db.sqliteConnection {
                let code = swifttuner_disable_checkpoint_on_close(connection)
                if code != SQLITE_OK {
                    throw DatabaseError(
                        resultCode: ResultCode(rawValue: code), message: "cannot disable the checkpoint on close")
                }
            }
            try db.execute(sql: "PRAGMA query_only = 1")
        }
        do {
            return try DatabaseQueue(path: path, configuration: config)
        } catch let error as DatabaseError {
            throw JournalError(
                .corrupted, path: path, "cannot open the journal: \(error.message ?? "\(error.resultCode)")")
        }
    }

    /// Checks a file without writing to it: its kind, header, integrity, identity, schema
    /// version and values. Returns the schema version and the study row. Files the check
    /// creates beside a journal it refuses (SQLite's `-wal` and `-shm`) are removed again.
    static func inspect(path: String) throws -> (version: Int, study: StudyRecord) {
        try requireRegularFile(path)
        return try withoutLeftovers(path) { try inspectFile(path: path) }
    }

    /// Runs a check that may refuse `path`; when it throws, the `-wal` and `-shm` files it
    /// made SQLite create are removed, so a refused file has nothing new beside it (S25).
    static func withoutLeftovers<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let fm = FileManager.default
        let absent = ["-wal", "-shm"].filter { !fm.fileExists(atPath: path + $0) }
        do {
            return try body()
        } catch {
            for suffix in absent { try? fm.removeItem(atPath: path + suffix) }
            throw error
        }
    }

    private static func inspectFile(path: String) throws -> (version: Int, study: StudyRecord) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw JournalError(.notAJournal, path: path, "cannot read the file")
        }
        let header = (try? handle.read(upToCount: 100)) ?? Data()
        try? handle.close()
        let size = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.intValue ?? 0
        let walSize = ((try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size]) as? NSNumber)?.intValue
        if size == 0 {
            throw JournalError(
                .corrupted, path: path,
                walSize.map { _ in
                    "the journal file is empty while a write-ahead log (\((path as NSString).lastPathComponent)-wal) " +
                        "lies beside it: the log was copied without its journal, or belongs to another file. Restore " +
                        "the journal itself, or pass overwrite to start over."
                }
                    ?? "the journal file is empty (0 bytes): SwiftTuner never leaves one so, so it was cut or " +
                        "replaced. Restore it from a backup, or pass overwrite to start over."
            )
        }
        let magic = Data("SQLite format 3\u{0}".utf8)
        guard header.count >= 16, header.prefix(16) == magic else {
            throw JournalError(
                .notAJournal, path: path,
                "this file is not a study journal (not a SQLite database: it starts with " +
                    "\(describe(header.prefix(16)))). Expected a journal written by SwiftTuner. Choose another " +
                    "project name, or pass overwrite to replace it."
            )
        }
        guard header.count == 100 else {
            throw JournalError(
                .corrupted, path: path,
                "the journal is truncated: \(size) bytes, shorter than a SQLite header. Restore it from a backup, or " +
                    "pass overwrite to start over."
            )
        }
        var pageSize = Int(header[16]) << 8 | Int(header[17])
        if pageSize == 1 { pageSize = 65536 }
        let pageCount = Int(header[28]) << 24 | Int(header[29]) << 16 | Int(header[30]) << 8 | Int(header[31])
        // With frames in the write-ahead log, the file may be mid-checkpoint (its header already
        // counts pages the log still holds): SQLite recovers that, so only a file without a log
        // is judged by its size.
        if (walSize ?? 0) == 0, pageSize >= 512, pageCount > 0, size < pageSize * pageCount {
            throw JournalError(
                .corrupted, path: path,
                "the journal is truncated: \(size) bytes where its header announces \(pageCount) pages of " +
                    "\(pageSize) bytes. Restore it from a backup, or pass overwrite to start over."
            )
        }
        if let walSize, walSize > 0 { try checkLog(path: path, pageSize: pageSize, walSize: walSize) }
        let queue = try readOnlyQueue(path)
        do {
            return try queue.read { db in
                let check = try String.fetchAll(db, sql: "PRAGMA integrity_check(20)")
                guard check == ["ok"] else {
                    throw JournalError(
                        .corrupted, path: path,
                        "the journal is corrupted (SQLite's integrity check says: " +
                            "\(check.prefix(3).joined(separator: "; "))). Restore it from a backup, or pass " +
                            "overwrite to start over."
                    )
                }
                let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                let tables = try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                if appID == 0 && version == 0 && tables.isEmpty {
                    throw JournalError(
                        .corrupted, path: path,
                        walSize == nil
                            ? "the journal holds no study: no table was ever written to the file itself. If a search " +
                                "was running, its write-ahead log (\((path as NSString).lastPathComponent)-wal) is " +
                                "missing: put it back beside the file. Otherwise pass overwrite to start a new study."
                            : "the journal holds no study, and the write-ahead log beside it does not belong to it. " +
                                "Restore the journal with its own log, or pass overwrite to start a new study."
                    )
                }
                guard appID == applicationID else {
                    throw JournalError(
                        .foreignDatabase, path: path,
                        "this SQLite database is not a study journal (application_id \(appID), tables: " +
                            "\(tables.isEmpty ? "none" : tables.joined(separator: ", "))). Choose another project " +
                            "name, or pass overwrite to replace it."
                    )
                }
                guard version >= 1 else {
                    throw JournalError(
                        .corrupted, path: path,
                        "the journal has schema version \(version), which no SwiftTuner writes: it was edited or " +
                            "damaged. Restore it from a backup, or pass overwrite to start over."
                    )
                }
                guard version <= migrations.count else {
                    throw JournalError(
                        .newerSchema, path: path,
                        "the journal has schema version \(version); this version of SwiftTuner reads versions up to " +
                            "\(migrations.count). Use a newer SwiftTuner to resume it."
                    )
                }
                guard let study = try StudyRecord.fetchOne(db, sql: "SELECT * FROM study WHERE id = 1") else {
                    throw JournalError(
                        .corrupted, path: path, "the journal has no study row. Pass overwrite to start over.")
                }
                try checkValues(db, path: path, version: version)
                return (version, study)
            }
        } catch let error as JournalError {
            throw error
        } catch let error as DatabaseError {
            let kind: JournalError.Kind = error.resultCode == .SQLITE_NOTADB ? .notAJournal : .corrupted
            throw JournalError(
                kind, path: path,
                "cannot read the journal: \(error.message ?? "\(error.resultCode)"). Restore it from a backup, or " +
                    "pass overwrite to start over."
            )
        } catch {
            throw JournalError(
                .corrupted, path: path,
                "cannot read the journal: \(error). Restore it from a backup, or pass overwrite to start over.")
        }
    }

    /// Refuses a write-ahead log that cannot be this journal's: not a log at all, or one of
    /// another page size (SQLite would ignore or misapply it).
    static func checkLog(path: String, pageSize: Int, walSize: Int) throws {
        guard let handle = FileHandle(forReadingAtPath: path + "-wal") else { return }
        let header = (try? handle.read(upToCount: 32)) ?? Data()
        try? handle.close()
        let name = (path as NSString).lastPathComponent + "-wal"
        guard header.count == 32 else {
            throw JournalError(
                .corrupted, path: path,
                "the write-ahead log \(name) is cut short (\(walSize) bytes). Restore the journal with its own log.")
        }
        func word(_ at: Int) -> Int { header[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        guard word(0) == 0x377f0682 || word(0) == 0x377f0683 else {
            throw JournalError(
                .corrupted, path: path,
                "the file \(name) beside the journal is not a SQLite write-ahead log. Restore the journal with its " +
                    "own log, or remove that file if the journal was closed cleanly."
            )
        }
        guard word(8) == pageSize else {
            throw JournalError(
                .corrupted, path: path,
                "the write-ahead log \(name) belongs to another database (pages of \(word(8)) bytes, the journal's " +
                    "are \(pageSize)). Restore the journal with its own log."
            )
        }
    }

    /// Refuses values no SwiftTuner writes: unknown statuses, outcomes or stop reasons, an end
    /// count or streak that disagrees with the trials, gaps in the trial numbers.
    static func checkValues(_ db: Database, path: String, version: Int) throws {
        func refuse(_ what: String) -> JournalError {
            JournalError(
                .corrupted, path: path,
                "the journal holds \(what): it was edited or damaged. Restore it from a backup, or pass overwrite to " +
                    "start over."
            )
        }
        let statuses = TrialStatus.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        if let bad = try String.fetchOne(db, sql: "SELECT status FROM trial WHERE status NOT IN (\(statuses)) LIMIT 1")
        {
            throw refuse("a trial status SwiftTuner does not know (\"\(bad.prefix(40))\")")
        }
        let outcomes = AttemptOutcome.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        if let bad = try String.fetchOne(
            db, sql: "SELECT outcome FROM attempt WHERE outcome IS NOT NULL AND outcome NOT IN (\(outcomes)) LIMIT 1")
        {
            throw refuse("an attempt outcome SwiftTuner does not know (\"\(bad.prefix(40))\")")
        }
        let reasons = StopReason.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        if let bad = try String.fetchOne(
            db,
            sql:
                "SELECT stopReason FROM session WHERE stopReason IS NOT NULL AND stopReason NOT IN (\(reasons)) LIMIT 1"
        ) {
            throw refuse("a stop reason SwiftTuner does not know (\"\(bad.prefix(40))\")")
        }
        if let row = try Row.fetchOne(db, sql: "SELECT COUNT(*), MIN(number), MAX(number) FROM trial"),
            let count: Int = row[0], count > 0
        {
            let low: Int = row[1] ?? 0, high: Int = row[2] ?? 0
            if low != 0 || high != count - 1 {
                throw refuse("trial numbers \(low)…\(high) for \(count) trials (a gap or a duplicate)")
            }
        }
        guard version >= 2 else { return }
        let cached = try Int.fetchOne(db, sql: "SELECT streak FROM study WHERE id = 1") ?? 0
        let derived = try deriveStreak(db)
        guard cached == derived else {
            throw JournalError(
                .corrupted, path: path,
                "the journal's cached consecutive-failure streak (\(cached)) differs from its trials (\(derived) " +
                    "trailing FAILED trials): it was edited or damaged."
            )
        }
        let endCount = try Int.fetchOne(db, sql: "SELECT endCount FROM study WHERE id = 1") ?? 0
        let lastEnd = try Int.fetchOne(db, sql: "SELECT IFNULL(MAX(endSeq), 0) FROM trial") ?? 0
        if endCount != lastEnd { throw refuse("an end count of \(endCount) where the trials' last end is \(lastEnd)") }
    }

    static func lockedMessage(path: String) -> String {
        let workers = WorkerMembership.liveWorkers(journalPath: path)
        if !workers.isEmpty {
            let names = workers.prefix(5).map { "\"\($0)\"" }.joined(separator: ", ") + (workers.count > 5 ? ", …" : "")
            return
                "this study is being searched by \(workers.count) worker(s) (\(names)). Join them with `tuner " +
                    "worker`, wait for them to end, or use another project name."
        }
        let owner = StudyLock.owner(path: path + ".lock") ?? "another process"
        return "this study is being searched by \(owner). Wait for it to end or stop it, or use another project name."
    }

    static func describe(_ bytes: Data) -> String {
        let printable = bytes.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "." }.joined()
        return "\"\(printable)\""
    }
}
