import Dispatch
import Foundation
import Synchronization
import TunerJournal

/// Journals SIGINT/SIGTERM while a search runs: the running attempt becomes `interrupted`,
/// the session ends `interrupted`, and the process exits with 128 + the signal's number.
/// A second signal exits at once.
final class SignalTrap: Sendable {
    /// The installed sources; touched only by the searching thread (install and remove).
    nonisolated(unsafe) private var sources: [any DispatchSourceSignal] = []
    private let count = Mutex(0)

    /// Installs the handlers for the session `session` of `journal`.
    init(journal: StudyJournal, session: Int64, announce: @escaping @Sendable (String) -> Void) {
        let queue = DispatchQueue(label: "swifttuner.signals")
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                let seen = count.withLock { value -> Int in
                    value += 1
                    return value
                }
                if seen > 1 { _exit(128 + number) }
                // The journal write runs elsewhere so that a second signal is still heard.
                DispatchQueue.global().async {
                    announce("\nStopping on \(name): journaling the running trial as interrupted. Send it again to exit at once.")
                    do {
                        try journal.interrupt(session: session, signalName: name)
                    } catch {
                        FileHandle.standardError.write(Data("could not journal the interruption: \(error)\n".utf8))
                    }
                    exit(128 + number)
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
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
