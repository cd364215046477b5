import Foundation

/// A child process started with `posix_spawn` and reaped with `waitpid`.
///
/// Foundation's `Process.waitUntilExit` was seen never to return on this platform after its
/// child had exited (a long crash soak, a command that starts a daemon). The tests that start
/// and kill many children use this type instead: it waits with `waitpid` itself, and its wait
/// is bounded.
///
/// ```swift
/// let worker = try SpawnedProcess(ChildProcess.executable("TunerCrashWorker"), [folder, "grid", "3", "150", "0"])
/// XCTAssertEqual(worker.waitUntilExit(), 0)
/// ```
public final class SpawnedProcess: @unchecked Sendable {
    /// What went wrong when starting a child.
    public struct SpawnError: Error, CustomStringConvertible {
        /// The executable that did not start, and why.
        public var description: String
    }

    /// The child's process id.
    public let processIdentifier: pid_t
    private var status: Int32?
    private var endedByExit: Bool?
    private let lock = NSLock()

    /// Starts `executable` (a path) with `arguments`; standard input and output are `/dev/null`,
    /// standard error is the test's own, or a file when `log` names one.
    public init(_ executable: String, _ arguments: [String], log: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let log {
            posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        processIdentifier = pid
    }

    /// Whether the child has not ended yet (it is reaped when it has).
    public var isRunning: Bool { reap(blocking: false) == nil }

    /// The exit code, or 128 plus the signal that ended the child; nil while it runs.
    public var terminationStatus: Int32? { reap(blocking: false) }

    /// Whether the child exited (rather than being ended by a signal); nil while it runs.
    public var exited: Bool? {
        _ = reap(blocking: false)
        lock.lock()
        defer { lock.unlock() }
        return endedByExit
    }

    /// Waits for the child to end and returns ``terminationStatus``. After `timeout` seconds the
    /// child is killed with SIGKILL, so that a test reports a stuck child instead of hanging.
    @discardableResult
    public func waitUntilExit(timeout: Double = 600) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let code = reap(blocking: false) { return code }
            usleep(2_000)
        }
        kill(processIdentifier, SIGKILL)
        return reap(blocking: true) ?? 137
    }

    /// Sends `signal` to the child (nothing once it has been reaped).
    public func signal(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if status == nil { kill(processIdentifier, signal) }
    }

    private func reap(blocking: Bool) -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let status { return status }
        var raw: Int32 = 0
        var result: pid_t
        repeat {
            result = waitpid(processIdentifier, &raw, blocking ? 0 : WNOHANG)
        } while result < 0 && errno == EINTR
        guard result == processIdentifier else { return nil }
        let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        status = code
        endedByExit = (raw & 0x7f) == 0
        return code
    }
}
