import Foundation
import Synchronization
import TunerCore
import TunerStore

/// The thread that keeps a worker's session alive: it renews the lease on the server's clock
/// three times per lease, on a connection of its own, and once per lease closes the sessions
/// of other workers whose lease ran out (the periodic sweep of section 9).
///
/// When the session was closed by another worker, or the server stayed out of reach for two
/// thirds of the lease, the lease is lost: the store's handler stops the running trial before
/// another worker may run it again, and the store refuses the trial's result.
final class LeaseKeeper: Sendable {
    private let stopped = Mutex(false)
    private let wake = NSCondition()

    /// Starts renewing `session` of `store`.
    init(store: PostgresStudyStore, session: Int64) {
        let lease = store.leaseSeconds
        let link = PostgresLink(
            url: store.url, applicationName: "swifttuner lease \(store.workerID ?? "")".prefix(63).description,
            reconnectFor: lease / 6, statementTimeout: lease / 3)
        let thread = Thread { [weak store, self] in
            var lastRenewal = Date()
            var lastSweep = Date()
            while !self.isStopped {
                self.pause(lease / 3)
                guard !self.isStopped, let store else { break }
                do {
                    let held = try store.renew(session: session, using: link)
                    if !held {
                        store.loseLease(
                            "the worker's session was closed by another worker after its lease of " +
                                "\(Self.seconds(lease)) ran out (the process was paused, or cut off from the " +
                                "server); the attempt it ran is being re-run elsewhere"
                        )
                        break
                    }
                    lastRenewal = Date()
                    if Date().timeIntervalSince(lastSweep) >= lease {
                        lastSweep = Date()
                        try? store.sweep(session: session, using: link)
                    }
                } catch {
                    if Date().timeIntervalSince(lastRenewal) >= lease * 2 / 3 {
                        store.loseLease(
                            "the worker could not renew its lease for " +
                                "\(Self.seconds(Date().timeIntervalSince(lastRenewal))) (\(error)); it stopped its " +
                                "trial before the lease of \(Self.seconds(lease)) ran out"
                        )
                        break
                    }
                }
            }
            link.close()
        }
        thread.name = "swifttuner lease"
        thread.start()
    }

    private static func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }

    private var isStopped: Bool { stopped.withLock { $0 } }

    private func pause(_ seconds: Double) {
        wake.lock()
        defer { wake.unlock() }
        if !isStopped { _ = wake.wait(until: Date().addingTimeInterval(seconds)) }
    }

    /// Stops renewing; the session's end is written by the store.
    func stop() {
        stopped.withLock { $0 = true }
        wake.lock()
        wake.broadcast()
        wake.unlock()
    }
}

extension PostgresStudyStore {
    /// Starts the lease keeper of a new session.
    func startLease(session: Int64) {
        leasedSession.withLock { $0 = session }
        let started = LeaseKeeper(store: self, session: session)
        let previous = keeper.withLock { value -> LeaseKeeper? in
            defer { value = started }
            return value
        }
        previous?.stop()
    }

    /// Stops the lease keeper (the session ended).
    func stopLease() {
        keeper.withLock { value -> LeaseKeeper? in
            defer { value = nil }
            return value
        }?.stop()
    }

    /// Renews a session's lease. Returns `false` when the session is no longer open.
    func renew(session: Int64, using link: PostgresLink) throws -> Bool {
        try link.run { sql in
            try sql.execute(
                """
                UPDATE swifttuner.session SET lease_until = clock_timestamp() + make_interval(secs => $2)
                WHERE id = $1 AND ended_at IS NULL
                """, [.int64(session), .double(leaseSeconds)]) == 1
        }
    }

    /// Closes the sessions whose lease ran out, on the keeper's connection.
    func sweep(session: Int64, using link: PostgresLink) throws {
        try link.transaction { sql in
            _ = try reapDead(sql, head: try readHead(sql), current: session)
        }
    }

    /// Records that the lease is lost and tells the engine, once.
    func loseLease(_ why: String) {
        let first = leaseLoss.withLock { value -> Bool in
            guard value == nil else { return false }
            value = why
            return true
        }
        guard first else { return }
        onLeaseLost.withLock { $0 }?(why)
    }

    package func whenLeaseLost(_ handler: @escaping @Sendable (String) -> Void) {
        onLeaseLost.withLock { $0 = handler }
        if let why = leaseLoss.withLock({ $0 }) { handler(why) }
    }
}
