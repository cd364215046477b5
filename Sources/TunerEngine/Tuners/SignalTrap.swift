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

    /// Installs the handlers for the session `session` of `journal`.
    init(journal: StudyJournal, session: Int64, stop: StopSignal,
         announce: @escaping @Sendable (String) -> Void,
         onInterrupt: (@Sendable (SearchInterruptedError) -> Void)?) {
        let queue = DispatchQueue(label: "swifttuner.signals")
        for (number, name) in Self.signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                let seen = count.withLock { value -> Int in
                    value += 1
                    return value
                }
                if seen > 1 {
                    // A closed pipe or terminal may go on raising its signal: only a second
                    // deliberate stop exits at once.
                    if number == SIGPIPE || number == SIGHUP { return }
                    _exit(128 + number)
                }
                // The journal write runs elsewhere so that a second signal is still heard.
                DispatchQueue.global().async {
                    if number != SIGPIPE && number != SIGHUP {
                        announce("\nStopping on \(name): journaling the running trial as interrupted. Send it again to exit at once.")
                    }
                    do {
                        try journal.interrupt(session: session, signal: number, signalName: name)
                    } catch {
                        writeStandardError("could not journal the interruption: \(error)\n")
                    }
                    stop.fire()
                    onInterrupt?(SearchInterruptedError(signal: number, signalName: name, session: session))
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Removes the handlers and restores the default actions.
    func remove() {
        for source in sources { source.cancel() }
        sources.removeAll()
        for (number, _) in Self.signals { signal(number, SIG_DFL) }
    }
}
