import Dispatch
import Foundation
import Synchronization
import TunerCore
import TunerJournal

/// Journals a graceful stop while a search runs (S6a): on SIGINT, SIGTERM, SIGHUP, SIGPIPE or
/// SIGQUIT the running attempt becomes `interrupted` and the session ends `interrupted` in one
/// transaction, which also refuses every later write; then the running trial is told to stop
/// and `onInterrupt` runs. The search thread unwinds at its next journal write. A second
/// signal exits at once.
final class SignalTrap: Sendable {
    /// The signals a search stops on, with their names.
    static let signals: [(Int32, String)] = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP"),
                                              (SIGPIPE, "SIGPIPE"), (SIGQUIT, "SIGQUIT")]

    /// The installed sources; touched only by the searching thread (install and remove).
    nonisolated(unsafe) private var sources: [any DispatchSourceSignal] = []
    private let count = Mutex(0)

    private let journal: StudyJournal
    private let session: Int64
    private let stopSignal: StopSignal
    private let announce: @Sendable (String) -> Void
    private let onInterrupt: (@Sendable (SearchInterruptedError) -> Void)?

    /// Installs the handlers for the session `session` of `journal`.
    init(journal: StudyJournal, session: Int64, stop: StopSignal,
         announce: @escaping @Sendable (String) -> Void,
         onInterrupt: (@Sendable (SearchInterruptedError) -> Void)?) {
        self.journal = journal
        self.session = session
        self.stopSignal = stop
        self.announce = announce
        self.onInterrupt = onInterrupt
        let queue = DispatchQueue(label: "swifttuner.signals")
        for (number, name) in Self.signals {
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
            _exit(128 + number)
        }
        // The journal write runs elsewhere so that a second signal is still heard.
        DispatchQueue.global().async { [self] in
            if number != SIGPIPE && number != SIGHUP {
                announce("\nStopping on \(name): journaling the running trial as interrupted. Send it again to exit at once.")
            }
            do {
                try journal.interrupt(session: session, signal: number, signalName: name)
                // The session ended in order: the journal becomes one file (S26b).
                journal.consolidate()
            } catch {
                writeStandardError("could not journal the interruption: \(error)\n")
            }
            stopSignal.fire()
            onInterrupt?(SearchInterruptedError(signal: number, signalName: name, session: session))
        }
    }

    /// Removes the handlers and restores the default actions.
    func remove() {
        for source in sources { source.cancel() }
        sources.removeAll()
        for (number, _) in Self.signals { signal(number, SIG_DFL) }
    }
}
