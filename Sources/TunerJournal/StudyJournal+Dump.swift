import Foundation
import GRDB
import TunerCore

extension StudyJournal {
    /// Writes a study read from another store (a PostgreSQL study's ``StudyDump``) as a new
    /// journal file, record for record, so that every report, `status`, export and `verify`
    /// reads it as any journal. The file is made under a temporary name and renamed into place.
    ///
    /// ```swift
    /// try StudyJournal.write(try store.dump(), to: "copy/journal.sqlite")
    /// let journal = try StudyJournal.openForReading(at: "copy/journal.sqlite")
    /// ```
    ///
    /// - Throws: ``JournalError`` when the file cannot be written or a journal is already there.
    public static func write(_ dump: StudyDump, to path: String) throws {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: path) else {
            throw JournalError(
                .writeFailed, path: path, "a file is already there; a study's copy is written to a new path")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? fm.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let temporary = path + ".new"
        for suffix in ["", "-journal", "-wal", "-shm"] { try? fm.removeItem(atPath: temporary + suffix) }
        do {
            var config = Configuration()
            config.label = "journal-copy"
            let queue = try DatabaseQueue(path: temporary, configuration: config)
            try queue.write { db in
                try migrate(db, from: 0)
                try dump.study.insert(db)
                try db.execute(
                    sql: "UPDATE study SET stopCount = ?, stopSession = ?, stoppedAt = ? WHERE id = 1",
                    arguments: [dump.stopCount, dump.stopSession, dump.stoppedAt])
                for var session in dump.sessions { try session.insert(db) }
                for trial in dump.trials { try trial.insert(db) }
                for (trial, basis) in dump.proposalBases.sorted(by: { $0.key < $1.key }) {
                    try db.execute(sql: "INSERT INTO proposal (trial, basis) VALUES (?, ?)", arguments: [trial, basis])
                }
                for var attempt in dump.attempts { try attempt.insert(db) }
                for metric in dump.epochMetrics { try metric.insert(db) }
                for amendment in dump.amendments {
                    try db.execute(
                        sql: "INSERT INTO amendment (at, what, previous, current) VALUES (?, ?, ?, ?)",
                        arguments: [amendment.at, amendment.what, amendment.previous, amendment.current])
                }
                for late in dump.lateResults {
                    try db.execute(
                        sql: """
                            INSERT INTO lateResult (attempt, session, at, outcome, score, message) VALUES (?, ?, ?, ?, \
                            ?, ?)
                            """,
                        arguments: [late.attempt, late.session, late.at, late.outcome, late.score, late.message])
                }
            }
            try queue.close()
            try renameDurably(temporary, to: path)
        } catch {
            for suffix in ["", "-journal"] { try? fm.removeItem(atPath: temporary + suffix) }
            if let error = error as? JournalError { throw error }
            throw JournalError(.writeFailed, path: path, "cannot write the study's copy: \(error)")
        }
    }
}
