import Foundation

/// What `tuner serve` serves and how: the studies, the address, how often a journal's change
/// signal is looked at.
///
/// ```swift
/// let configuration = DashboardConfiguration(catalog: StudyCatalog(folder: ".tuner"), port: 8080)
/// try await DashboardServer(configuration: configuration).run()
/// ```
public struct DashboardConfiguration: Sendable {
    /// The studies served.
    public var catalog: StudyCatalog
    /// A PostgreSQL store whose studies are served instead of ``catalog``'s: each is copied
    /// into a journal in a temporary folder when the server starts, and again whenever the
    /// store announces that it changed.
    public var store: String?
    /// The address to bind: loopback unless told otherwise.
    public var host: String
    /// The port; 0 picks a free one (``DashboardServer/run(stopsOnSignals:onRunning:)``
    /// reports it).
    public var port: Int
    /// How often an open event stream asks its journal whether it changed (SQLite's
    /// `data_version`, a read of one number): the bound on how late a change is pushed.
    public var changeCheckInterval: Duration
    /// How long an event stream stays quiet before it sends a comment, so that a client that
    /// went away is noticed.
    public var heartbeatInterval: Duration
    /// How long one event stream lasts before the server ends it; the browser reconnects at once.
    /// Bounds every stream's loop.
    public var streamLifetime: Duration

    /// Makes a configuration.
    public init(
        catalog: StudyCatalog, host: String = "127.0.0.1", port: Int = 8080,
        changeCheckInterval: Duration = .milliseconds(50), heartbeatInterval: Duration = .seconds(10),
        streamLifetime: Duration = .seconds(600)
    ) {
        self.catalog = catalog
        self.host = host
        self.port = port
        self.changeCheckInterval = changeCheckInterval
        self.heartbeatInterval = heartbeatInterval
        self.streamLifetime = streamLifetime
    }

    /// Serves the studies of the PostgreSQL store at `url` (see ``store``).
    public init(
        store url: String, host: String = "127.0.0.1", port: Int = 8080,
        changeCheckInterval: Duration = .milliseconds(50), heartbeatInterval: Duration = .seconds(10),
        streamLifetime: Duration = .seconds(600)
    ) {
        self.init(
            catalog: StudyCatalog(folder: "."), host: host, port: port, changeCheckInterval: changeCheckInterval,
            heartbeatInterval: heartbeatInterval, streamLifetime: streamLifetime)
        store = url
    }

    /// Whether the address is reachable only from this machine.
    public var isLoopback: Bool {
        host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.")
    }
}
