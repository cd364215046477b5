import Foundation
import Synchronization
import TunerCore
import TunerEngine

/// Starts and watches the worker processes of `tuner search --workers N`: each runs
/// `tuner worker` under the id 1…N; one that dies by a signal it was not sent is started again
/// under its id (it takes its interrupted trial back first). SIGINT, SIGTERM and SIGHUP are
/// passed on to the workers, which journal a graceful stop.
final class WorkerSupervisor: Sendable {
    let studyFile: String
    let count: Int
    let arguments: [String]
    let verbose: Verbosity
    /// Restarts allowed in all, so that a worker that dies at once cannot loop forever.
    let maxRestarts: Int

    /// The running workers by id, the exit codes of those that ended, and the signal that
    /// stopped the search, if any.
    private struct State {
        var running: [Int: Process] = [:]
        var codes: [Int: Int32] = [:]
        var stopping: Int32?
        var restarts = 0
    }

    private let state = Mutex(State())
    private let ended = DispatchSemaphore(value: 0)

    init(studyFile: String, count: Int, arguments: [String], verbose: Verbosity, maxRestarts: Int = 100) {
        self.studyFile = studyFile
        self.count = count
        self.arguments = arguments
        self.verbose = verbose
        self.maxRestarts = maxRestarts
    }

    /// Runs the workers to their end and returns the search's exit code: the most severe of
    /// the workers' (a fatal error, then the consecutive-failure limit, a signal, an error, no
    /// COMPLETED trial), 0 when they completed.
    func run() throws -> Int32 {
        let sources = [SIGINT, SIGTERM, SIGHUP].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in forward(number) }
            source.resume()
            return source
        }
        defer {
            for source in sources { source.cancel() }
            for number in [SIGINT, SIGTERM, SIGHUP] { signal(number, SIG_DFL) }
        }
        if verbose >= .progress {
            print("Search: \(count) workers on \(studyFile)")
            fflush(nil)
        }
        for id in 1...count { try start(id) }
        while state.withLock({ !$0.running.isEmpty }) {
            ended.wait()
        }
        return state.withLock { Self.combined(Array($0.codes.values), stopping: $0.stopping) }
    }

    private func start(_ id: Int) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.executablePath)
        process.arguments = ["worker", studyFile, "--worker-id", "\(id)", "--supervised"] + arguments
        process.terminationHandler = { [self] finished in ended(id, finished) }
        try state.withLock { state in
            state.running[id] = process
            try process.run()
        }
    }

    private func ended(_ id: Int, _ process: Process) {
        let signalled = process.terminationReason == .uncaughtSignal
        let status = process.terminationStatus
        let restart = state.withLock { state -> Bool in
            state.running[id] = nil
            let again = signalled && state.stopping == nil && state.restarts < maxRestarts
            if again {
                state.restarts += 1
            } else {
                state.codes[id] = signalled ? 128 + status : status
            }
            return again
        }
        if restart {
            if verbose >= .progress {
                print("Worker \(id) died by signal \(status); starting it again under its id.")
                fflush(nil)
            }
            do { try start(id) } catch {
                writeStandardError("error: cannot start worker \(id) again: \(error)\n")
                state.withLock { $0.codes[id] = TunerCommand.Code.error }
            }
        }
        ended.signal()
    }

    private func forward(_ number: Int32) {
        let running = state.withLock { state -> [Process] in
            if state.stopping == nil { state.stopping = number }
            return Array(state.running.values)
        }
        for process in running where process.isRunning { kill(process.processIdentifier, number) }
    }

    /// The search's exit code from its workers'.
    static func combined(_ codes: [Int32], stopping: Int32?) -> Int32 {
        for code in [TunerCommand.Code.fatal, TunerCommand.Code.consecutiveFailures] where codes.contains(code) {
            return code
        }
        if let stopping { return 128 + stopping }
        if let signalled = codes.first(where: { $0 > 128 }) { return signalled }
        if codes.contains(where: { $0 != 0 && $0 != TunerCommand.Code.noCompletedTrial }) {
            return codes.first { $0 != 0 && $0 != 5 } ?? 1
        }
        return codes.contains(0) ? 0 : TunerCommand.Code.noCompletedTrial
    }
}

extension CommandLine {
    /// The running executable, for starting workers of the same build.
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? arguments[0]
    }
}
