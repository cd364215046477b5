import Foundation
import Subprocess
import Synchronization
import SystemPackage
import TunerCore
import TunerEngine

/// An attempt's failure, with the tail of its output as the trace.
struct CommandFailure: Error, CustomStringConvertible, TracedError {
    var description: String
    var trace: String
}

/// A command trial told to fail without retry (its exit code was the study's `failed` code).
struct CommandFailedTrial: NonRetryableTrialError, CustomStringConvertible, TracedError {
    var description: String
    var trace: String
}

/// A command trial that stopped the search (its exit code was the study's `fatal` code).
struct CommandFatal: FatalSearchError, CustomStringConvertible, TracedError {
    var description: String
    var trace: String
}

/// Runs one attempt of a command trial: the template with the hyperparameters substituted,
/// run by `/bin/sh -c` in its own process group, with `TUNER_*` variables, its output kept in
/// the trial's directory, and its metrics read from the JSON lines it appends to
/// `$TUNER_METRICS_FILE`.
struct CommandTrial: Sendable {
    let spec: CommandSpec
    let studyDirectory: String
    let verbose: Verbosity
    /// Started with the first attempt; ends this search's trials if the search is killed.
    let watchdog = WatchdogSlot()

    /// The largest epoch number a metrics line may give.
    static let maxEpoch = 10_000_000

    /// Quotes a value for the shell.
    static func shellQuote(_ text: String) -> String {
        if text.allSatisfy({ $0.isLetter || $0.isNumber || "-_.,+:/=".contains($0) }) && !text.isEmpty { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The command line for a trial's values: one pass over the template, left to right, each
    /// `{name}` of a hyperparameter replaced by its exact value, quoted. A value is never
    /// expanded again, whatever it contains; an unknown `{…}` stays as written.
    func commandLine(_ values: [String: HyperParameterValue]) -> String {
        let template = Array(spec.template)
        var line = ""
        var index = 0
        while index < template.count {
            if template[index] == "{", let close = template[index...].firstIndex(of: "}"),
                let value = values[String(template[(index + 1)..<close])]
            {
                line += Self.shellQuote(value.exactDescription)
                index = close + 1
            } else {
                line.append(template[index])
                index += 1
            }
        }
        return line
    }

    /// The environment variable that names a hyperparameter: `TUNER_HP_` and its name in
    /// capitals, other characters as `_`.
    static func environmentName(_ name: String) -> String {
        "TUNER_HP_" + name.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }

    /// Runs one attempt and reads its metrics; the search awaits it.
    func run(_ context: TrialContext) async throws -> TrialResult {
        // Processes of attempts whose search was killed are ended before anything runs again,
        // so a resume never runs a second copy beside the first.
        let trials = StudyLayout.trialsDirectory(study: studyDirectory)
        ProcessSweep.once(trialsDirectory: trials)
        watchdog.start(trialsDirectory: trials)
        let trialDirectory = StudyLayout.trialDirectory(study: studyDirectory, trialID: context.trialID)
        do {
            try FileManager.default.createDirectory(atPath: trialDirectory, withIntermediateDirectories: true)
        } catch {
            throw TrialDirectoryError(path: trialDirectory, reason: (error as NSError).localizedDescription)
        }
        let prefix = (trialDirectory as NSString).appendingPathComponent("attempt_\(context.attempt)")
        let metricsPath = prefix + ".metrics.jsonl", stdoutPath = prefix + ".stdout", stderrPath = prefix + ".stderr"
        try? FileManager.default.removeItem(atPath: metricsPath)
        guard FileManager.default.createFile(atPath: metricsPath, contents: nil) else {
            throw TrialDirectoryError(path: metricsPath, reason: String(cString: strerror(errno)))
        }
        let token = ProcessSweep.token(trial: context.trialID, attempt: context.attempt)
        let pidFile = prefix + ".pid"
        guard FileManager.default.createFile(atPath: pidFile, contents: Data(token.utf8)) else {
            throw TrialDirectoryError(path: pidFile, reason: String(cString: strerror(errno)))
        }
        defer {
            ProcessSweep.kill(token: token)
            try? FileManager.default.removeItem(atPath: pidFile)
        }
        var environment: [Environment.Key: String?] = [
            "TUNER_TRIAL_ID": context.trialID, "TUNER_ATTEMPT": String(context.attempt),
            "TUNER_TRIAL_SEED": String(context.seed),
            "TUNER_TRIAL_DIR": trialDirectory, "TUNER_METRICS_FILE": metricsPath,
            Environment.Key(rawValue: ProcessSweep.variable)!: token,
        ]
        for (name, value) in context.hyperparameters.values {
            guard let key = Environment.Key(rawValue: Self.environmentName(name)) else { continue }
            environment[key] = value.exactDescription
        }
        for (name, value) in spec.environment {
            guard let key = Environment.Key(rawValue: name) else { continue }
            environment[key] = value
        }
        let line = commandLine(context.hyperparameters.values)
        let status = try await execute(
            line, environment: environment, stdout: stdoutPath, stderr: stderrPath, stop: context.stop)
        let tail = outputTail(stdout: stdoutPath, stderr: stderrPath, command: line)
        switch status {
        case .timedOut:
            throw CommandFailure(
                description: "timed out after \(formatMetric(spec.timeout ?? 0)) s: \(line)", trace: tail)
        case .signaled(let signal):
            throw CommandFailure(
                description: "killed by signal \(signal)\(signal == SIGSEGV ? " (segmentation fault)" : ""): \(line)",
                trace: tail)
        case .exited(let code) where code == spec.failedExitCode:
            throw CommandFailedTrial(
                description: "exited with \(code) (the study's failed code): \(lastLine(stderrPath) ?? line)",
                trace: tail)
        case .exited(let code) where code == spec.fatalExitCode:
            throw CommandFatal(
                description: "exited with \(code) (the study's fatal code): \(lastLine(stderrPath) ?? line)",
                trace: tail)
        case .exited(let code) where code != 0:
            throw CommandFailure(description: "exited with \(code): \(lastLine(stderrPath) ?? line)", trace: tail)
        default:
            return try readMetrics(metricsPath, trace: tail)
        }
    }

    enum Status { case exited(Int32), signaled(Int32), timedOut }

    /// Runs the command to its end (or its timeout), its output in the two files. A stop of the
    /// search ends the command's process group at once.
    func execute(
        _ line: String, environment: [Environment.Key: String?], stdout: String, stderr: String,
        stop: StopSignal
    ) async throws -> Status {
        func open(_ path: String) throws -> FileDescriptor {
            do {
                return try FileDescriptor.open(
                    FilePath(path), .writeOnly, options: [.create, .truncate],
                    permissions: [.ownerReadWrite, .groupRead, .otherRead])
            } catch {
                throw TrialDirectoryError(path: path, reason: "\(error)")
            }
        }
        let out = try open(stdout)
        let err: FileDescriptor
        do { err = try open(stderr) } catch {
            try? out.close()
            throw error
        }
        do {
            return try await spawn(line, environment: environment, stdout: out, stderr: err, stop: stop)
        } catch {
            throw CommandFailure(description: "could not run the command: \(error)", trace: "\(error)")
        }
    }

    /// Spawns `/bin/sh -c line` in its own process group and awaits its end.
    private func spawn(
        _ line: String, environment: [Environment.Key: String?], stdout out: FileDescriptor,
        stderr err: FileDescriptor, stop: StopSignal
    ) async throws -> Status {
        var options = PlatformOptions()
        options.processGroupID = 0
        let timedOut = Flag()
        let registration = Registration()
        let timeout = spec.timeout
        let result = try await Subprocess.run(
            .path("/bin/sh"), arguments: ["-c", line], environment: .inherit.updating(environment),
            platformOptions: options, input: .none,
            output: .fileDescriptor(out, closeAfterSpawningProcess: true),
            error: .fileDescriptor(err, closeAfterSpawningProcess: true)
        ) { execution -> Task<Void, any Error>? in
            let pid = execution.processIdentifier.value
            registration.value.store(stop.whenStopped { kill(-pid, SIGKILL) }, ordering: .releasing)
            guard let timeout else { return nil }
            return Task {
                try await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                timedOut.value.store(true, ordering: .releasing)
                kill(-pid, SIGKILL)
            }
        }
        if let watchdog = result.closureResult { watchdog.cancel() }
        stop.remove(registration.value.load(ordering: .acquiring))
        if timedOut.value.load(ordering: .acquiring) { return .timedOut }
        switch result.terminationStatus {
        case .exited(let code): return .exited(code)
        case .signaled(let signal): return .signaled(signal)
        }
    }

    /// The last 4 KiB of standard output and standard error, the attempt's trace.
    func outputTail(stdout: String, stderr: String, command: String) -> String {
        func tail(_ path: String) -> String {
            guard let data = FileManager.default.contents(atPath: path) else { return "" }
            return String(decoding: data.suffix(4096), as: UTF8.self)
        }
        return "$ \(command)\n--- stdout (tail) ---\n\(tail(stdout))\n--- stderr (tail) ---\n\(tail(stderr))"
    }

    func lastLine(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data.suffix(2048), as: UTF8.self).split(separator: "\n").last.map(String.init)
    }

    /// Reads the JSON lines of metrics: one object per line, grouped by `epoch` when given.
    func readMetrics(_ path: String, trace: String) throws -> TrialResult {
        let text = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        var epochs: [Int: [String: Double]] = [:]
        var order: [Int] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                throw CommandFailure(
                    description: "the metrics file's line \(index + 1) is not a JSON object: \(line.prefix(80))",
                    trace: trace)
            }
            var epoch = (order.last.map { $0 + 1 } ?? 0)
            if let given = object["epoch"] {
                guard let number = given as? Int, (0...Self.maxEpoch).contains(number) else {
                    throw CommandFailure(
                        description:
                            "the metrics file's line \(index + 1): \"epoch\" must be a whole number from 0 to " +
                                "\(Self.maxEpoch), got \(given)",
                        trace: trace)
                }
                epoch = number
            }
            guard epoch <= Self.maxEpoch else {
                throw CommandFailure(
                    description: "the metrics file's line \(index + 1): more than \(Self.maxEpoch) epochs", trace: trace
                )
            }
            if epochs[epoch] == nil { order.append(epoch) }
            for (key, value) in object where key != "epoch" {
                if let number = value as? Double {
                    epochs[epoch, default: [:]][key] = number
                } else if let s = value as? String, let number = Double(s) {
                    epochs[epoch, default: [:]][key] = number
                } else if let n = value as? Int {
                    epochs[epoch, default: [:]][key] = Double(n)
                } else {
                    throw CommandFailure(
                        description: "the metrics file's line \(index + 1): \"\(key)\" is not a number", trace: trace)
                }
            }
        }
        return TrialResult(history: order.sorted().map { epochs[$0] ?? [:] })
    }
}

/// Holds a search's ``TrialWatchdog``, started once.
final class WatchdogSlot: Sendable {
    private let watchdog = Mutex<TrialWatchdog?>(nil)

    func start(trialsDirectory: String) {
        watchdog.withLock { current in
            if current == nil { current = TrialWatchdog(trialsDirectory: trialsDirectory) }
        }
    }
}

/// A flag shared with a watchdog task.
final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}

/// A stop handler's registration, made inside the process's closure and removed after it ends.
final class Registration: Sendable {
    let value = Atomic<Int>(-1)
}
