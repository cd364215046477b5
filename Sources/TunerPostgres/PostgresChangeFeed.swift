import Foundation
import Logging
import NIOPosix
import PostgresNIO
import TunerStore

/// The announcements of a PostgreSQL store: which study changed, as each writer's transaction
/// commits (`LISTEN swifttuner_change`; the store's triggers send them).
///
/// ```swift
/// let feed = try PostgresChangeFeed(url: "postgresql://tuner@db/studies")
/// await feed.follow { study in print("changed:", study ?? "any") }
/// ```
public struct PostgresChangeFeed: Sendable {
    let url: PostgresURL
    private static let logger = Logger(label: "swifttuner.feed", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A feed of the store at `url`; nothing is connected before ``follow(retry:_:)``.
    public init(url: String) throws {
        self.url = try PostgresURL(url)
    }

    /// Calls `changed` with the id of each study a transaction changed, once it committed, and
    /// with nil each time the feed connects (anything may have changed while it was not
    /// listening). Returns when the calling task is cancelled; a lost connection is made again
    /// after `retry`.
    public func follow(retry: Duration = .seconds(1), _ changed: @escaping @Sendable (Int64?) async -> Void) async {
        let link = PostgresLink(url: url, applicationName: "swifttuner serve")
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try link.configuration(), id: 1,
                    logger: Self.logger
                ).get()
                try? await connection.listen(on: PostgresSchema.changeChannel) { notifications in
                    await changed(nil)
                    for try await notification in notifications {
                        await changed(Int64(notification.payload))
                    }
                }
                try? await connection.close()
            } catch {}
            try? await Task.sleep(for: retry)
        }
    }

    /// The studies of the store by id.
    public func studies() throws -> [Int64: String] {
        let link = PostgresLink(url: url, applicationName: "swifttuner reader", reconnectFor: 5)
        defer { link.close() }
        return try link.run { sql in
            guard try sql.rows("SELECT to_regclass('swifttuner.study') IS NOT NULL").first?.value(0, Bool.self) == true
            else {
                return [:]
            }
            var names: [Int64: String] = [:]
            for row in try sql.rows("SELECT id, name FROM swifttuner.study") {
                names[try row.value(0, Int64.self)] = try row.value(1, String.self)
            }
            return names
        }
    }
}
