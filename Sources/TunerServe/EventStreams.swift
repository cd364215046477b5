import Foundation
import Hummingbird
import ServiceLifecycle
import TunerJournal

/// The Server-Sent Events streams that keep pages live.
///
/// A study's stream sends `change` when its journal's change signal moves (SQLite's
/// `data_version`, looked at every ``DashboardConfiguration/changeCheckInterval``: a read of
/// one number, no journal read), `trouble` when the journal cannot be read, and a comment when
/// it has been quiet for ``DashboardConfiguration/heartbeatInterval``. Every stream ends after
/// ``DashboardConfiguration/streamLifetime``, when its client goes away (noticed at the next
/// write) or when the server stops; browsers reconnect by themselves.
struct EventStreams: Sendable {
    var configuration: DashboardConfiguration
    var cache: JournalCache
    var catalog: CatalogCache

    static var headers: HTTPFields {
        [.contentType: "text/event-stream", .cacheControl: "no-store"]
    }

    /// The stream of one study.
    func study(_ path: String) -> Response {
        let cache = cache
        return stream { last in
            let state = await cache.state(path)
            guard state != last else { return nil }
            switch state {
            case .version(let version):
                let data = await cache.latest(path) ?? "{\"version\":\(version)}"
                return (state, "event: change\ndata: \(data)\n\n")
            case .unreadable(let message):
                let line = message.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
                return (state, "event: trouble\ndata: \(line)\n\n")
            }
        }
    }

    /// The stream of the list of studies: `change` when a study appears, goes, or changes.
    func catalogStream() -> Response {
        let cache = cache, catalog = catalog
        return stream { last in
            var states: [String] = []
            for entry in await catalog.studies() {
                states.append("\(entry.key)=\(await cache.state(entry.path))")
            }
            guard states != last else { return nil }
            return (states, "event: change\ndata: {}\n\n")
        }
    }

    /// A stream that asks `look` at every interval what to send: nil when nothing changed,
    /// else the new state and its event.
    private func stream<State: Equatable & Sendable>(
        _ look: @escaping @Sendable (_ last: State?) async -> (state: State, event: String)?
    ) -> Response {
        let interval = configuration.changeCheckInterval
        let heartbeat = configuration.heartbeatInterval
        let lifetime = configuration.streamLifetime
        let body = ResponseBody { writer in
            let clock = ContinuousClock()
            let end = clock.now.advanced(by: lifetime)
            var last: State? = nil
            var quietSince = clock.now
            // A client reconnecting after a stream ends waits this long (milliseconds).
            try await writer.write(ByteBuffer(string: "retry: 500\n\n"))
            // A stream ends when the server stops too, so that a graceful stop does not wait for it.
            while clock.now < end, !Task.isCancelled, !Task.isShuttingDownGracefully {
                if let (state, event) = await look(last) {
                    last = state
                    try await writer.write(ByteBuffer(string: event))
                    quietSince = clock.now
                } else if clock.now - quietSince >= heartbeat {
                    try await writer.write(ByteBuffer(string: ": quiet\n\n"))
                    quietSince = clock.now
                }
                try await Task.sleep(for: interval)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: Self.headers, body: body)
    }
}
