import GRDB

/// Edits a journal behind the project's back, over a second SQLite connection, as a damaged
/// or hand-edited file would be: foreign keys off, each statement outside any check.
///
/// ```swift
/// try ForeignEdit.execute(path, "UPDATE study SET streak = 0")
/// ```
public enum ForeignEdit {
    /// Runs `sql` (one or more statements) on the file at `path`, then closes the connection.
    public static func execute(_ path: String, _ sql: String, arguments: StatementArguments = StatementArguments())
        throws
    {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        configuration.journalMode = .default
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in try db.execute(sql: sql, arguments: arguments) }
        try queue.close()
    }

    /// Reads one row of `sql` from the file at `path`.
    public static func row(_ path: String, _ sql: String) throws -> Row? {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in try Row.fetchOne(db, sql: sql) }
    }
}
