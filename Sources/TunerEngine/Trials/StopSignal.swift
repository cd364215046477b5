import Synchronization

/// Tells a running trial that the search is stopping (a signal was journaled, S6a), and runs
/// the handlers the trial registered: a command trial kills its process group with one.
///
/// ```swift
/// let registration = context.stop.whenStopped { kill(-group, SIGKILL) }
/// defer { context.stop.remove(registration) }
/// ```
public final class StopSignal: Sendable {
    private struct State {
        var stopped = false
        var next = 0
        var handlers: [Int: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())

    /// Makes a signal that has not fired.
    public init() {}

    /// Whether the search is stopping.
    public var isStopped: Bool { state.withLock { $0.stopped } }

    /// Registers a handler, run once when the signal fires (at once when it has fired).
    /// Returns a registration for ``remove(_:)``.
    @discardableResult
    public func whenStopped(_ handler: @escaping @Sendable () -> Void) -> Int {
        let (id, runNow) = state.withLock { state -> (Int, Bool) in
            if state.stopped { return (-1, true) }
            state.next += 1
            state.handlers[state.next] = handler
            return (state.next, false)
        }
        if runNow { handler() }
        return id
    }

    /// Removes a handler that is no longer needed.
    public func remove(_ registration: Int) {
        _ = state.withLock { $0.handlers.removeValue(forKey: registration) }
    }

    /// Fires the signal: runs every registered handler once.
    public func fire() {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.stopped else { return [] }
            state.stopped = true
            defer { state.handlers.removeAll() }
            return state.handlers.sorted { $0.key < $1.key }.map(\.value)
        }
        for handler in handlers { handler() }
    }
}
