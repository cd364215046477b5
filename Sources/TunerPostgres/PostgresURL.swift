import Foundation
import TunerCore
import TunerStore

/// Where a PostgreSQL study store is: a libpq-style connection URL, parsed.
///
/// `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, or a Unix socket folder as the
/// `host` query parameter (`postgresql://USER@/DATABASE?host=/run/postgresql`). The
/// `sslmode` parameter takes `disable` (the default on a socket or loopback), `prefer` or
/// `require`.
///
/// ```swift
/// let url = try PostgresURL("postgresql://tuner@db.example:5432/studies")
/// print(url.redacted)   // postgresql://tuner@db.example:5432/studies
/// ```
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is protected.
    public enum TLSMode: String, Sendable {
        /// Plain text.
        case disable
        /// TLS when the server offers it.
        case prefer
        /// TLS or no connection.
        case require
    }

    /// The user name.
    public var user: String
    /// The password, when the URL carries one.
    public var password: String?
    /// The server's host name or address; `nil` with a Unix socket.
    public var host: String?
    /// The server's port.
    public var port: Int
    /// The folder of the server's Unix socket, when it is reached through one.
    public var socketFolder: String?
    /// The database name.
    public var database: String
    /// How the connection is protected.
    public var tls: TLSMode

    /// Whether a text names a PostgreSQL store (its scheme is `postgresql` or `postgres`).
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    /// Parses a connection URL.
    ///
    /// - Throws: ``PostgresURLError`` naming the part that is wrong.
    public init(_ text: String) throws {
        guard Self.isPostgres(text) else {
            throw PostgresURLError(url: text, "a PostgreSQL store's URL starts with postgresql:// (or postgres://)")
        }
        guard let components = URLComponents(string: text) else {
            throw PostgresURLError(url: text, "this is not a URL (a character that must be percent-encoded?)")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        for name in query.keys where !["host", "port", "user", "password", "sslmode", "dbname"].contains(name) {
            throw PostgresURLError(
                url: text, "unknown parameter \"\(name)\" (known: host, port, user, password, sslmode, dbname)")
        }
        let host = components.percentEncodedHost.flatMap { $0.removingPercentEncoding }.flatMap {
            $0.isEmpty ? nil : $0
        }
        let socket =
            query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? host.flatMap { $0.hasPrefix("/") ? $0 : nil }
        self.socketFolder = socket
        self.host = socket == nil ? (query["host"] ?? host ?? "localhost") : nil
        if let portText = query["port"] ?? components.port.map(String.init) {
            guard let port = Int(portText), (1...65_535).contains(port) else {
                throw PostgresURLError(url: text, "the port must be 1 to 65535, got \"\(portText)\"")
            }
            self.port = port
        } else {
            self.port = 5432
        }
        let user = query["user"] ?? components.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        guard !user.isEmpty else { throw PostgresURLError(url: text, "the user name is empty") }
        self.user = user
        self.password = query["password"] ?? components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = query["dbname"] ?? (path.isEmpty ? user : path)
        if let mode = query["sslmode"] {
            guard let tls = TLSMode(rawValue: mode) else {
                throw PostgresURLError(url: text, "sslmode must be disable, prefer or require, got \"\(mode)\"")
            }
            self.tls = tls
        } else {
            self.tls = .disable
        }
    }

    /// The URL without its password, for messages and reports.
    public var redacted: String {
        var text = "postgresql://\(user)@"
        if let host { text += host.contains(":") ? "[\(host)]" : host }
        if host != nil, port != 5432 { text += ":\(port)" }
        text += "/\(database)"
        if let socketFolder { text += "?host=\(socketFolder)" + (port != 5432 ? "&port=\(port)" : "") }
        return text
    }

    /// The URL without its password.
    public var description: String { redacted }
}

/// A PostgreSQL URL that cannot be used, with the part that is wrong.
public struct PostgresURLError: Error, CustomStringConvertible, Sendable {
    /// The URL, as given (a password in it is not repeated).
    public var url: String
    /// What is wrong.
    public var message: String

    /// Makes an error.
    public init(url: String, _ message: String) {
        self.url = url.replacingOccurrences(
            of: #"://([^:@/]*):[^@/]*@"#, with: "://$1:***@", options: .regularExpression)
        self.message = message
    }

    /// The error, for a person.
    public var description: String { "\(url): \(message)" }
}
