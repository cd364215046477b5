import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization
import TunerCore
import TunerStore

/// A value bound to a statement's `$n` parameter.
enum SQLValue: Sendable {
    case int(Int?)
    case int64(Int64?)
    case double(Double?)
    case text(String?)
    case bool(Bool)
}

/// One connection to the server, blocking the thread that uses it: the engine's store
/// protocol is synchronous. Transactions take turns (a signal's write waits for the search
/// loop's to end). A lost connection is made again at the next use.
///
/// Each transaction runs as a whole or not at all: when the connection fails before `COMMIT`
/// was sent, the server rolled it back and the body runs again on a new connection (the
/// store's bodies are pure functions of what they read); when it fails while committing, the
/// outcome is unknown and the write fails.
final class PostgresLink: Sendable {
    /// The server.
    let url: PostgresURL
    /// The name the server shows for this connection (`application_name`).
    let applicationName: String
    /// How long to keep trying to reach the server before a read or write fails, in seconds.
    let reconnectFor: Double
    /// How long one statement may wait for its answer before the connection is given up as
    /// lost, in seconds; the server ends a transaction left idle as long.
    let statementTimeout: Double
    private let connection = Mutex<PostgresConnection?>(nil)
    private let serial = Mutex<Int>(0)
    private let turn = NSRecursiveLock()
    private static let logger = Logger(label: "swifttuner.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// How long the server keeps the connection when it idles outside a transaction, in seconds;
    /// `nil`: as long as it likes.
    let idleTimeout: Double?

    init(
        url: PostgresURL, applicationName: String, reconnectFor: Double = 60, statementTimeout: Double = 30,
        idleTimeout: Double? = nil
    ) {
        self.idleTimeout = idleTimeout
        self.statementTimeout = statementTimeout
        self.url = url
        self.applicationName = applicationName
        self.reconnectFor = reconnectFor
    }

    deinit {
        if let open = connection.withLock({ $0 }) { Self.closeLater(open) }
    }

    /// Closes the connection.
    func close() {
        let open = connection.withLock { value -> PostgresConnection? in
            defer { value = nil }
            return value
        }
        // Not waited for: a connection cut without a word may never confirm its close.
        if let open { Self.closeLater(open) }
    }

    func configuration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socket = url.socketFolder {
            let path = (socket as NSString).appendingPathComponent(".s.PGSQL.\(url.port)")
            configuration = .init(
                unixSocketPath: path, username: url.user, password: url.password, database: url.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch url.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            configuration = .init(
                host: url.host ?? "localhost", port: url.port, username: url.user, password: url.password,
                database: url.database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(10)
        // A transaction whose client vanished (paused, cut off) releases the study row's lock.
        configuration.options.additionalStartupParameters = [
            ("application_name", applicationName),
            ("idle_in_transaction_session_timeout", "\(Int(statementTimeout * 1000))"),
        ]
        // A worker paused or cut off while it holds the study's creation turn gives it back
        // when the server closes its idle session; a healthy one connects again at its next use.
        if let idleTimeout {
            configuration.options.additionalStartupParameters.append(
                ("idle_session_timeout", "\(Int(idleTimeout * 1000))"))
        }
        return configuration
    }

    /// The open connection, made when there is none.
    private func current() throws -> PostgresConnection {
        if let open = connection.withLock({ $0 }), !open.isClosed { return open }
        let id = serial.withLock { value -> Int in
            value += 1
            return value
        }
        let made = try PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try configuration(),
            id: id, logger: Self.logger
        ).wait()
        connection.withLock { $0 = made }
        return made
    }

    private func drop() {
        let open = connection.withLock { value -> PostgresConnection? in
            defer { value = nil }
            return value
        }
        // Not waited for: a connection cut without a word may never confirm its close.
        if let open { Self.closeLater(open) }
    }

    /// Closes a connection without waiting for it, keeping it alive until the close completes.
    static func closeLater(_ connection: PostgresConnection) {
        let closed: EventLoopFuture<Void> = connection.close()
        closed.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Runs one statement outside a transaction body (with the retries of ``transaction(_:)``).
    func run<T>(_ body: (Statements) throws -> T) throws -> T {
        try withRetries(transactional: false, body)
    }

    /// Runs `body` in one transaction, again on a new connection when the connection failed
    /// before the commit, and again after a serialization failure or a deadlock (with jitter).
    func transaction<T>(_ body: (Statements) throws -> T) throws -> T {
        try withRetries(transactional: true, body)
    }

    /// Runs one statement as its own transaction, once. A deadlock or a serialization failure
    /// (rolled back) answers `nil`, and so does a connection that cannot be made (nothing was
    /// sent); a connection lost while the statement ran throws ``UncertainWrite``: whether it was
    /// written is for the caller to find out.
    func once<T>(_ body: (Statements) throws -> T) throws -> T? {
        turn.lock()
        defer { turn.unlock() }
        guard let connection = try? current() else { return nil }
        do {
            return try body(
                Statements(connection: connection, logger: Self.logger, url: url, timeout: statementTimeout))
        } catch is StatementTimeout {
            drop()
            throw UncertainWrite()
        } catch let error as PSQLError {
            let state = error.serverInfo?[.sqlState]
            if error.code == .server, state == "40001" || state == "40P01" { return nil }
            guard Self.isConnectionLoss(error) else { throw Self.journalError(error, url: url) }
            drop()
            throw UncertainWrite()
        } catch let error as PostgresDecodingError {
            throw JournalError(
                .corrupted, path: url.redacted,
                "a value in the study store has an unexpected type: column \(error.columnName) (\(error.postgresType))")
        }
    }

    private func withRetries<T>(transactional: Bool, _ body: (Statements) throws -> T) throws -> T {
        turn.lock()
        defer { turn.unlock() }
        let deadline = Date().addingTimeInterval(reconnectFor)
        var pause = 0.05
        var conflicts = 0
        while true {
            var committing = false
            do {
                let statements = Statements(
                    connection: try current(), logger: Self.logger, url: url, timeout: statementTimeout)
                guard transactional else { return try body(statements) }
                try statements.execute("BEGIN")
                do {
                    let value = try body(statements)
                    committing = true
                    try statements.execute("COMMIT")
                    return value
                } catch {
                    // A refused statement leaves the transaction aborted: end it. A lost connection
                    // has no transaction left to end.
                    if !Self.isConnectionLoss(error) { _ = try? statements.execute("ROLLBACK") }
                    throw error
                }
            } catch let error as StatementTimeout {
                // No answer: the connection is given up as lost (the server rolls back what it
                // had of the transaction when it sees the connection close, or when it idles).
                drop()
                if committing {
                    throw JournalError(
                        .writeFailed, path: url.redacted,
                        "the server did not answer a transaction's commit within \(error.seconds) s: whether it was " +
                            "written is unknown. The worker stops; a restarted worker finds the study as it is."
                    )
                }
                guard Date() < deadline else {
                    throw JournalError(
                        .writeFailed, path: url.redacted,
                        "cannot reach the PostgreSQL server: no answer within \(error.seconds) s")
                }
            } catch let error as PSQLError {
                let state = error.serverInfo?[.sqlState]
                if error.code == .server, state == "40001" || state == "40P01", conflicts < 20 {
                    // A serialization failure or a deadlock: the transaction was rolled back.
                    conflicts += 1
                    Thread.sleep(forTimeInterval: Double.random(in: 0.001...0.02) * Double(conflicts))
                    continue
                }
                let lost = Self.isConnectionLoss(error)
                if lost { drop() }
                if lost, committing {
                    throw JournalError(
                        .writeFailed, path: url.redacted,
                        "the connection to the server was lost while a transaction committed: whether it was written " +
                            "is unknown. The worker stops; a restarted worker finds the study as it is " +
                            "(\(Self.describe(error)))."
                    )
                }
                guard lost, Date() < deadline else { throw Self.journalError(error, url: url) }
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 1)
            } catch let error as PostgresDecodingError {
                throw JournalError(
                    .corrupted, path: url.redacted,
                    "a value in the study store has an unexpected type: column \(error.columnName) " +
                        "(\(error.postgresType))"
                )
            }
        }
    }

    /// Whether an error means the connection is gone rather than a statement refused.
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if error is StatementTimeout { return true }
        return (error as? PSQLError).map(isConnectionLoss) ?? false
    }

    /// Whether an error means the connection is gone (the server stopped or restarted, the
    /// backend was terminated, the network failed) rather than a refused statement.
    static func isConnectionLoss(_ error: PSQLError) -> Bool {
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown:
            return true
        case .server:
            // admin_shutdown, crash_shutdown, cannot_connect_now, and the class of connection exceptions.
            let state = error.serverInfo?[.sqlState] ?? ""
            return ["57P01", "57P02", "57P03"].contains(state) || state.hasPrefix("08")
        default:
            return false
        }
    }

    /// An error of the server or the connection, for a person.
    static func describe(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }

    static func journalError(_ error: PSQLError, url: PostgresURL) -> JournalError {
        if isConnectionLoss(error) {
            return JournalError(
                .writeFailed, path: url.redacted, "cannot reach the PostgreSQL server: \(describe(error))")
        }
        return JournalError(
            .writeFailed, path: url.redacted, "the PostgreSQL server refused a statement: \(describe(error))")
    }
}

/// The statements of one transaction (or one statement outside any), on one connection.
struct Statements {
    let connection: PostgresConnection
    let logger: Logger
    let url: PostgresURL
    /// How long a statement may wait for its answer, in seconds.
    let timeout: Double

    /// Runs a statement and returns its rows and how many rows it changed.
    @discardableResult
    func query(_ sql: String, _ values: [SQLValue] = []) throws -> (rows: [PostgresRandomAccessRow], changed: Int) {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .int(let v): if let v { bindings.append(Int64(v)) } else { bindings.appendNull() }
            case .int64(let v): if let v { bindings.append(v) } else { bindings.appendNull() }
            case .double(let v): if let v { bindings.append(v) } else { bindings.appendNull() }
            case .text(let v): if let v { bindings.append(storedText(v)) } else { bindings.appendNull() }
            case .bool(let v): bindings.append(v)
            }
        }
        let result = try wait(connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger))
        return (result.rows.map { $0.makeRandomAccess() }, result.metadata.rows ?? 0)
    }

    /// The future's value, or ``StatementTimeout`` when it takes longer than the timeout (a
    /// connection cut without a word may leave a query unanswered forever).
    private func wait<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<T, any Error>?>(nil)
        future.whenComplete { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        guard done.wait(timeout: .now() + timeout) == .success, let result = outcome.withLock({ $0 }) else {
            PostgresLink.closeLater(connection)
            throw StatementTimeout(seconds: timeout)
        }
        return try result.get()
    }

    /// Runs a statement for its rows.
    func rows(_ sql: String, _ values: [SQLValue] = []) throws -> [PostgresRandomAccessRow] {
        try query(sql, values).rows
    }

    /// Runs a statement for how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ values: [SQLValue] = []) throws -> Int {
        try query(sql, values).changed
    }
}

/// A statement run on its own whose connection was lost before its answer came: it may or
/// may not have been written.
struct UncertainWrite: Error {}

/// A statement that got no answer in time.
struct StatementTimeout: Error {
    /// The time waited, in seconds.
    let seconds: Double
}

/// Text as PostgreSQL stores it: a text value cannot hold a NUL character, which is written
/// as the visible escape `\u{0}` (as the SQLite journal does).
func storedText(_ text: String) -> String {
    guard text.utf8.contains(0) else { return text }
    return text.replacingOccurrences(of: "\u{0}", with: "\\u{0}")
}

extension PostgresRandomAccessRow {
    /// The value of a column that may be NULL.
    func optional<T: PostgresDecodable>(_ index: Int, _ type: T.Type = T.self) throws -> T? {
        let cell = self[index]
        guard cell.bytes != nil else { return nil }
        return try cell.decode(T.self)
    }

    /// The value of a column that is never NULL.
    func value<T: PostgresDecodable>(_ index: Int, _ type: T.Type = T.self) throws -> T {
        try self[index].decode(T.self)
    }
}
