import Foundation
import GRDB
import TunerCore
import CSQLiteShim

extension StudyJournal {
    /// Opens a study's journal for searching: checks it, locks it, migrates it, or creates it.
    ///
    /// A failed open leaves the file byte-identical (S25). An existing study keeps its own
    /// seed; `study.seed` is used only for a new one.
    ///
    /// - Throws: ``JournalError`` naming what was found, what was expected and what to do.
    public static func open(at path: String, study descriptor: StudyDescriptor,
                            options: JournalOptions = JournalOptions()) throws -> StudyJournal {
        let fm = FileManager.default
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw JournalError(.writeFailed, path: path, "cannot create the study directory \(directory): \(error.localizedDescription)")
            }
        }
        guard let lock = try StudyLock(path: path + ".lock") else {
            throw JournalError(.locked, path: path, lockedMessage(path: path))
        }
        if options.overwrite {
            for suffix in ["", "-wal", "-shm", "-journal"] where fm.fileExists(atPath: path + suffix) {
                do { try fm.removeItem(atPath: path + suffix) } catch {
                    throw JournalError(.writeFailed, path: path, "cannot delete the journal for overwrite: \(error.localizedDescription)")
                }
            }
        }
        var existingVersion = 0
        if fm.fileExists(atPath: path) {
            // An empty file, or a database without a table, is what a process killed while it
            // created the journal leaves: there is nothing in it to keep, so it becomes a new journal.
            if let (version, study) = try inspect(path: path, allowEmpty: true) {
                existingVersion = version
                try check(study, against: descriptor, path: path, options: options)
            }
        }

        var config = Configuration()
        config.journalMode = .wal
        config.label = "journal"
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
            throw JournalError(.writeFailed, path: path, "cannot open the journal for writing: \(error.message ?? "\(error.resultCode)")")
        }
        do {
            // Set after GRDB's WAL setup, which itself sets synchronous = NORMAL.
            try dbQueue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        } catch let error as DatabaseError {
            throw JournalError(.writeFailed, path: path, "cannot configure the journal: \(error.message ?? "\(error.resultCode)")")
        }
        let journal = StudyJournal(path: path, dbQueue: dbQueue, lock: lock)
        let spaceJSON = try encodeSpace(descriptor.space)
        try journal.write { db in
            if existingVersion < migrations.count {
                try migrate(db, from: existingVersion)
            }
            if existingVersion == 0 {
                try StudyRecord(name: descriptor.name, directory: descriptor.directory, tunerKind: descriptor.tunerKind,
                                objectiveName: descriptor.objective.name, direction: descriptor.objective.direction.rawValue,
                                seed: Int64(bitPattern: descriptor.seed), space: spaceJSON,
                                createdAt: Date().timeIntervalSince1970, streak: 0, endCount: 0).insert(db)
            } else if options.acceptSpaceChange {
                try db.execute(sql: "UPDATE study SET space = ? WHERE id = 1", arguments: [spaceJSON])
            }
        }
        return journal
    }

    /// Opens a journal read-only, for reports and status: checked, never locked or written.
    public static func openForReading(at path: String) throws -> StudyJournal {
        guard FileManager.default.fileExists(atPath: path) else {
            throw JournalError(.missing, path: path, "no journal here. Run a search first, or check the study's directory and name.")
        }
        guard try inspect(path: path, allowEmpty: true) != nil else {
            throw JournalError(.missing, path: path, "the journal is empty: its search was stopped while creating it. Run the search again.")
        }
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
    static func readOnlyQueue(_ path: String) throws -> DatabaseQueue {
        var config = Configuration()
        config.label = "journal-reader"
        config.prepareDatabase { db in
            if let connection = db.sqliteConnection {
                let code = swifttuner_disable_checkpoint_on_close(connection)
                if code != SQLITE_OK { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot disable the checkpoint on close") }
            }
            try db.execute(sql: "PRAGMA query_only = 1")
        }
        do {
            return try DatabaseQueue(path: path, configuration: config)
        } catch let error as DatabaseError {
            throw JournalError(.corrupted, path: path, "cannot open the journal: \(error.message ?? "\(error.resultCode)")")
        }
    }

    /// Checks a file without writing to it: its header, its integrity, its identity and
    /// schema version. Returns the schema version and the study row; `nil` for an empty file or
    /// a database without any table, when `allowEmpty`.
    static func inspect(path: String, allowEmpty: Bool = false) throws -> (version: Int, study: StudyRecord)? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw JournalError(.notAJournal, path: path, "cannot read the file")
        }
        let header = (try? handle.read(upToCount: 100)) ?? Data()
        try? handle.close()
        let size = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.intValue ?? 0
        if size == 0 && allowEmpty { return nil }
        let magic = Data("SQLite format 3\u{0}".utf8)
        guard header.count >= 16, header.prefix(16) == magic else {
            throw JournalError(.notAJournal, path: path, "this file is not a study journal (not a SQLite database: it starts with \(describe(header.prefix(16)))). Expected a journal written by SwiftTuner. Choose another project name, or pass overwrite to replace it.")
        }
        guard header.count == 100 else {
            throw JournalError(.corrupted, path: path, "the journal is truncated: \(size) bytes, shorter than a SQLite header. Restore it from a backup, or pass overwrite to start over.")
        }
        var pageSize = Int(header[16]) << 8 | Int(header[17])
        if pageSize == 1 { pageSize = 65536 }
        let pageCount = Int(header[28]) << 24 | Int(header[29]) << 16 | Int(header[30]) << 8 | Int(header[31])
        // With frames in the write-ahead log, the file may be mid-checkpoint (its header already
        // counts pages the log still holds): SQLite recovers that, so only a file without a log
        // is judged by its size.
        let walSize = ((try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size]) as? NSNumber)?.intValue ?? 0
        if walSize == 0, pageSize >= 512, pageCount > 0, size < pageSize * pageCount {
            throw JournalError(.corrupted, path: path, "the journal is truncated: \(size) bytes where its header announces \(pageCount) pages of \(pageSize) bytes. Restore it from a backup, or pass overwrite to start over.")
        }
        let queue = try readOnlyQueue(path)
        do {
            return try queue.read { db in
                let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
                guard check == ["ok"] else {
                    throw JournalError(.corrupted, path: path, "the journal is corrupted (SQLite's check says: \(check.prefix(3).joined(separator: "; "))). Restore it from a backup, or pass overwrite to start over.")
                }
                let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                if allowEmpty && appID == 0 && version == 0 && tables.isEmpty { return nil }
                guard appID == applicationID else {
                    throw JournalError(.foreignDatabase, path: path, "this SQLite database is not a study journal (application_id \(appID), tables: \(tables.isEmpty ? "none" : tables.joined(separator: ", "))). Choose another project name, or pass overwrite to replace it.")
                }
                guard version <= migrations.count else {
                    throw JournalError(.newerSchema, path: path, "the journal has schema version \(version); this version of SwiftTuner reads versions up to \(migrations.count). Use a newer SwiftTuner to resume it.")
                }
                guard let study = try StudyRecord.fetchOne(db, sql: "SELECT * FROM study WHERE id = 1") else {
                    throw JournalError(.corrupted, path: path, "the journal has no study row. Pass overwrite to start over.")
                }
                if version >= 2 {
                    let cached = try Int.fetchOne(db, sql: "SELECT streak FROM study WHERE id = 1") ?? 0
                    let derived = try deriveStreak(db)
                    guard cached == derived else {
                        throw JournalError(.corrupted, path: path, "the journal's cached consecutive-failure streak (\(cached)) differs from its trials (\(derived) trailing FAILED trials): it was edited or damaged.")
                    }
                }
                return (version, study)
            }
        } catch let error as JournalError {
            throw error
        } catch let error as DatabaseError {
            let kind: JournalError.Kind = error.resultCode == .SQLITE_NOTADB ? .notAJournal : .corrupted
            throw JournalError(kind, path: path, "cannot read the journal: \(error.message ?? "\(error.resultCode)"). Restore it from a backup, or pass overwrite to start over.")
        }
    }

    static func check(_ study: StudyRecord, against descriptor: StudyDescriptor, path: String, options: JournalOptions) throws {
        if study.tunerKind != descriptor.tunerKind {
            throw JournalError(.mismatch, path: path, "this study was run by \(study.tunerKind), not \(descriptor.tunerKind). Use \(study.tunerKind) to resume it, or another project name or overwrite to start a new search.")
        }
        if study.objectiveName != descriptor.objective.name || study.direction != descriptor.objective.direction.rawValue {
            throw JournalError(.mismatch, path: path, "this study optimizes \(study.objective), not \(descriptor.objective). Use the same objective to resume it, or another project name or overwrite to start a new search.")
        }
        let stored = try? study.searchSpace()
        if stored != descriptor.space && !options.acceptSpaceChange {
            let storedNames = stored?.names ?? []
            let newNames = descriptor.space.names
            var differences: [String] = []
            for name in newNames where !storedNames.contains(name) { differences.append("'\(name)' is new") }
            for name in storedNames where !newNames.contains(name) { differences.append("'\(name)' is gone") }
            for name in newNames where storedNames.contains(name) && stored?[name] != descriptor.space[name] {
                differences.append("'\(name)' changed")
            }
            if differences.isEmpty { differences.append("the order of the hyperparameters changed") }
            throw JournalError(.mismatch, path: path, "the search space differs from the journaled one (\(differences.joined(separator: ", "))). Restore the original space to resume, accept the change explicitly (acceptSpaceChange), or use another project name or overwrite.")
        }
    }

    static func lockedMessage(path: String) -> String {
        let owner = StudyLock.owner(path: path + ".lock") ?? "another process"
        return "this study is being searched by \(owner). Wait for it to end or stop it, or use another project name."
    }

    static func describe(_ bytes: Data) -> String {
        let printable = bytes.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "." }.joined()
        return "\"\(printable)\""
    }
}
