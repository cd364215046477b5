import Foundation

/// What a finished child process left: its exit code (or signal) and its output.
public struct ProcessRun: Sendable {
    /// The exit status, or the signal that ended the process.
    public var code: Int32
    /// Whether it exited (rather than being ended by a signal).
    public var exited: Bool
    /// Its standard output, when captured.
    public var stdout: String
    /// Its standard error, when captured.
    public var stderr: String
}

/// Starts and waits for the child processes the tests run: the built executables, shells, tools.
///
/// ```swift
/// let run = try ChildProcess.run(ChildProcess.executable("tuner"), ["status", ".tuner/s"], in: folder)
/// XCTAssertEqual(run.code, 0, run.stderr)
/// ```
public enum ChildProcess {
    /// Where a child's output goes.
    public enum Output: Sendable {
        /// To `/dev/null`.
        case discard
        /// To a pipe, read into ``ProcessRun``.
        case capture
        /// To the test's own output.
        case inherit
    }

    /// An executable of this package built beside the test bundle (`tuner`, `TunerCrashWorker`).
    public static func executable(_ name: String) -> String {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [products, products.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Starts `executable` (a path, or a name looked up on `PATH`) without waiting for it.
    public static func start(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        stdout: Output = .discard, stderr: Output = .inherit,
        environment: [String: String] = [:]
    ) throws -> Process {
        let process = Process()
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = handle(stdout)
        process.standardError = handle(stderr)
        try process.run()
        return process
    }

    /// Runs `executable` to its end; what `stdout` and `stderr` capture is in the result.
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        stdout: Output = .capture, stderr: Output = .capture,
        environment: [String: String] = [:]
    ) throws -> ProcessRun {
        let process = try start(
            executable, arguments, in: directory, stdout: stdout, stderr: stderr, environment: environment)
        // Both pipes are drained at once: a child that fills one while the other is read would block.
        let outText = Drain(process.standardOutput), errText = Drain(process.standardError)
        let out = outText.wait(), err = errText.wait()
        process.waitUntilExit()
        return ProcessRun(
            code: process.terminationStatus, exited: process.terminationReason == .exit, stdout: out, stderr: err)
    }

    /// Runs a `/bin/sh` script to its end.
    @discardableResult
    public static func shell(
        _ script: String, in directory: String? = nil,
        stdout: Output = .capture, stderr: Output = .capture
    ) throws -> ProcessRun {
        try run("/bin/sh", ["-c", script], in: directory, stdout: stdout, stderr: stderr)
    }

    /// Whether a command exists on this machine.
    public static func have(_ command: String) -> Bool {
        (try? shell("command -v \(command)").code) == 0
    }

    private static func handle(_ output: Output) -> Any? {
        switch output {
        case .discard: FileHandle.nullDevice
        case .capture: Pipe()
        case .inherit: nil
        }
    }

    /// Reads a pipe to its end on a thread of its own.
    private final class Drain: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        private let pipe: Pipe?

        init(_ handle: Any?) {
            pipe = handle as? Pipe
            guard let pipe else { done.signal(); return }
            Thread { [self] in
                data = pipe.fileHandleForReading.readDataToEndOfFile()
                done.signal()
            }.start()
        }

        func wait() -> String {
            done.wait()
            return String(decoding: data, as: UTF8.self)
        }
    }
}

/// Waits until `condition` holds, looking every 10 ms for at most `timeout` seconds; returns
/// whether it held. Tests wait on a condition (a file, the journal), never for a fixed time.
@discardableResult
public func waitUntil(timeout: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}
