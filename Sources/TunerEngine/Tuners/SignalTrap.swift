import Dispatch
import Foundation
import Synchronization
import TunerCore
import TunerJournal

/// Journals a graceful stop while a search runs (S6a): on SIGINT, SIGTERM, SIGHUP, SIGPIPE or
/// SIGQUIT the running attempt becomes `interrupted` and the session ends `interrupted` in one
/// transaction, which also refuses every later write; then the running trial is told to stop
/// and `onInterrupt` runs. The search thread unwinds at its next journal write. A second
/// SIGINT, SIGTERM or SIGQUIT goes to the disposition found before the search (by default it
/// ends the process); the trap itself never exits. Removing it restores what it found.
final class SignalTrap: Sendable {
    /// The signals a search stops on, with their names.
    static let signals: [(Int32, String)] = [
        (SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP"),
        (SIGPIPE, "SIGPIPE"), (SIGQUIT, "SIGQUIT"),
    ]

    /// The installed sources; touched only by the searching thread (install and remove).
    nonisolated(unsafe) private var sources: [any DispatchSourceSignal] = []
    /// The dispositions found at install, restored by ``remove()`` (and for a second signal).
    nonisolated(unsafe) private var found: [Int32: sigaction] = [:]
    private let count = Mutex(0)

    private let store: any StudyStore
    private let session: Int64
    private let stopSignal: StopSignal
    private let announce: @Sendable (String) -> Void
    private let onInterrupt: (@Sendable (SearchInterruptedError) -> Void)?

    /// Installs the handlers for the session `session` of `store`.
    init(
        store: any StudyStore, session: Int64, stop: StopSignal,
        announce: @escaping @Sendable (String) -> Void,
        onInterrupt: (@Sendable (SearchInterruptedError) -> Void)?
    ) {
        self.store = store
        self.session = session
        self.stopSignal = stop
        self.announce = announce
        self.onInterrupt = onInterrupt
        let queue = DispatchQueue(label: "swifttuner.signals")
        for (number, name) in Self.signals {
            var previous = sigaction()
            sigaction(number, nil, &previous)
            found[number] = previous
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in self.stop(signal: number, name: name) }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops the search as for a signal: the console found its pipe closed (SIGPIPE is not
    /// delivered while ignored), or a signal arrived.
    func stop(signal number: Int32, name: String) {
        let seen = count.withLock { value -> Int in
            value += 1
            return value
        }
        if seen > 1 {
            // A closed pipe or terminal may go on raising its signal: only a second deliberate
            // stop exits at once.
            if number == SIGPIPE || number == SIGHUP { return }
            restore(number)
            raise(number)
            return
        }
        // The journal write runs elsewhere so that a second signal is still heard.
        DispatchQueue.global().async { [self] in
            if number != SIGPIPE && number != SIGHUP {
                announce(
                    "\nStopping on \(name): journaling the running trial as interrupted. Send it again to exit at once."
                )
            }
            do {
                try store.interrupt(session: session, signal: number, signalName: name)
                // The session ended in order: the journal becomes one file (S26b).
                store.consolidate()
            } catch {
                writeStandardError("could not journal the interruption: \(error)\n")
            }
            stopSignal.fire()
            onInterrupt?(SearchInterruptedError(signal: number, signalName: name, session: session))
        }
    }

    /// Removes the handlers and restores the dispositions found at install.
    func remove() {
        for source in sources { source.cancel() }
        sources.removeAll()
        for (number, _) in Self.signals { restore(number) }
    }

    /// Puts back the disposition `number` had before the search.
    private func restore(_ number: Int32) {
        guard var previous = found[number] else { return }
        sigaction(number, &previous, nil)
    }
}
