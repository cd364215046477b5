import ArgumentParser
import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerPostgres
import TunerReports
import TunerStudy
import TunerTrainer

/// A limit given on the command line: a number, or `none`.
struct Limit: ExpressibleByArgument {
    var value: Int?
    init?(argument: String) {
        if argument == "none" { value = nil } else if let n = Int(argument), n > 0 { value = n } else { return nil }
    }
}

/// The options `search` and `worker` share: the console and the limits a run may override.
struct SearchOptions: ParsableArguments {
    @Option(help: "0: errors only; 1: KerasTuner's lines; 2: also every failed attempt's trace.")
    var verbose: Verbosity = .progress

    @Option(help: "Override max_trials.")
    var maxTrials: Int?

    @Option(help: "Override max_retries_per_trial.")
    var maxRetriesPerTrial: Int?

    @Option(help: "Override max_consecutive_failed_trials (a number or none).")
    var maxConsecutiveFailedTrials: Limit?

    @Option(help: "Override max_interruptions_per_trial (a number or none).")
    var maxInterruptionsPerTrial: Limit?

    @Flag(help: "Resume although the search space differs from the journaled one (the change is journaled).")
    var acceptSpaceChange = false

    @Option(
        help:
            ArgumentHelp(
                "Keep the study in this PostgreSQL database (postgresql://USER@HOST/DB) instead of its journal file; " +
                    "every process is then one of its workers.")
    )
    var store: String?

    @Option(help: "With --store: a worker silent this many seconds is found dead and its trial re-run (1 to 86400).")
    var lease: Double = 15

    @Flag(
        help:
            ArgumentHelp(
                "Resume although the trial definition (model, fit, data, constraints, command) differs from the " +
                    "journaled one (the change is journaled).")
    )
    var acceptTrialChange = false

    func validate() throws {
        if let maxTrials, maxTrials <= 0 { throw ValidationError("--max-trials must be positive") }
        if let store, !PostgresURL.isPostgres(store) {
            throw ValidationError(
                "--store must be a postgresql:// URL, got \"\(store)\" (a SQLite study needs no --store)")
        }
        guard (1...86_400).contains(lease) else {
            throw ValidationError("--lease must be 1 to 86400 seconds, got \(lease)")
        }
        if let maxRetriesPerTrial, maxRetriesPerTrial < 0 {
            throw ValidationError("--max-retries-per-trial must be 0 or more")
        }
    }

    /// The options as a worker's arguments, for the workers `search --workers` starts.
    var arguments: [String] {
        var list = ["--verbose", "\(verbose.rawValue)"]
        if let maxTrials { list += ["--max-trials", "\(maxTrials)"] }
        if let maxRetriesPerTrial { list += ["--max-retries-per-trial", "\(maxRetriesPerTrial)"] }
        if let limit = maxConsecutiveFailedTrials {
            list += ["--max-consecutive-failed-trials", limit.value.map(String.init) ?? "none"]
        }
        if let limit = maxInterruptionsPerTrial {
            list += ["--max-interruptions-per-trial", limit.value.map(String.init) ?? "none"]
        }
        if acceptSpaceChange { list.append("--accept-space-change") }
        if acceptTrialChange { list.append("--accept-trial-change") }
        if let store { list += ["--store", store, "--lease", "\(lease)"] }
        return list
    }

    /// Says once, on standard error, when the built-in trainer will run slower kernels than this
    /// CPU could, and how to get the faster ones (a debug build, or a portable build on a CPU
    /// with AVX2 and FMA).
    func adviseOnKernels(_ study: StudyFile) {
        guard case .model = study.trial, verbose >= .progress,
            let advice = KernelAdvice.sentence(build: Kernels.build, cpuFlags: KernelAdvice.cpuFlags())
        else { return }
        writeStandardError("note: \(advice)\n")
    }

    /// Runs the search (or one worker of it) and maps its outcome to the command's exit code.
    func run(
        _ file: StudyFile, overwrite: Bool, worker: String?, output: any SearchOutput = StandardOutput()
    ) async throws {
        var study = file
        study.store = store
        study.leaseSeconds = lease
        let outcome: SearchOutcome
        let runner = StudyRun(study: study, verbose: verbose, output: output, handlesSignals: true)
        do {
            outcome = try await runner.search(
                overwrite: overwrite, maxTrials: maxTrials, maxRetriesPerTrial: maxRetriesPerTrial,
                maxConsecutiveFailedTrials: maxConsecutiveFailedTrials.map { $0.value },
                maxInterruptionsPerTrial: maxInterruptionsPerTrial.map { $0.value },
                acceptSpaceChange: acceptSpaceChange, acceptTrialChange: acceptTrialChange, worker: worker)
        } catch let error where error is FatalSearchError || error is ObjectiveNotFoundError {
            writeStandardError("search stopped by a fatal error: \(error)\n")
            throw ExitCode(TunerCommand.Code.fatal)
        } catch let error as SearchConfigurationError {
            writeStandardError("error: \(error)\n")
            throw ExitCode(TunerCommand.Code.usage)
        }
        if verbose >= .progress { output.line(study.storeLine) }
        let code = outcome.exitCode(completedTrials: outcome.completedTrials)
        if code == TunerCommand.Code.noCompletedTrial {
            writeStandardError("the search ended with no COMPLETED trial: every trial failed (exit code 5).\n")
        }
        if code != 0 { throw ExitCode(code) }
    }
}

struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a study file's search, or resume it after a crash.",
        discussion: """
            The journal is DIRECTORY/STUDY/journal.sqlite (the study file's `directory`, .tuner by \
            default). Running the same file again resumes: interrupted trials run first. \
            Exit codes: 0 completed (at least one trial COMPLETED), 1 error (bad input, I/O), 2 usage, \
            3 consecutive-failure limit, 4 fatal error (an objective missing from the metrics \
            included), 5 the search ended but no trial completed, 128 + the signal when stopped by \
            one (130 SIGINT, 143 SIGTERM, 129 SIGHUP, 141 SIGPIPE, 131 SIGQUIT). With --workers N, \
            N worker processes search the study together, and one that dies is started again \
            under its id.
            """)

    @Argument(help: "The study file (YAML).")
    var studyFile: String

    @Flag(help: "Start an empty study, deleting the journal.")
    var overwrite = false

    @Option(help: "Search with this many worker processes on the study's journal (1 to 256).")
    var workers: Int = 1

    @OptionGroup var options: SearchOptions

    func validate() throws {
        guard (1...256).contains(workers) else {
            throw ValidationError("--workers must be from 1 to 256, got \(workers)")
        }
    }

    func run() async throws {
        var study = try StudyFile.load(studyFile)
        study.store = options.store
        study.leaseSeconds = options.lease
        options.adviseOnKernels(study)
        guard workers > 1 else {
            try await options.run(study, overwrite: overwrite, worker: nil)
            return
        }
        do {
            try StudyRun(study: study, verbose: options.verbose).prepareForWorkers(
                overwrite: overwrite, acceptSpaceChange: options.acceptSpaceChange,
                acceptTrialChange: options.acceptTrialChange)
        } catch let error as SearchConfigurationError {
            writeStandardError("error: \(error)\n")
            throw ExitCode(TunerCommand.Code.usage)
        }
        let supervisor = WorkerSupervisor(
            studyFile: studyFile, count: workers, arguments: options.arguments,
            verbose: options.verbose)
        let code = try supervisor.run()
        if options.verbose >= .progress { print(study.storeLine) }
        if code != 0 { throw ExitCode(code) }
    }
}

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join a study's search as one of its workers.",
        discussion: """
            Workers share the study's journal (DIRECTORY/STUDY/journal.sqlite) on one host: each \
            claims queued trials (interrupted ones, then retries) before new ones, the \
            consecutive-failure streak is kept across workers, and a stop one journals stops them \
            all. Start them from a shell loop, systemd or a scheduler; a worker restarted under \
            the same id takes its interrupted trials back first. The worker id defaults to \
            slurm-$SLURM_ARRAY_TASK_ID, k8s-$JOB_COMPLETION_INDEX, else HOST-PID. \
            Exit codes as for search.
            """)

    @Argument(help: "The study file (YAML).")
    var studyFile: String

    @Option(help: "This worker's id (1 to 200 bytes).")
    var workerID: String?

    @Flag(help: .hidden)
    var supervised = false

    @OptionGroup var options: SearchOptions

    func run() async throws {
        var study = try StudyFile.load(studyFile)
        // `search --workers` started the study empty already when the file asks for overwrite.
        if supervised { study.overwrite = false }
        let id = workerID ?? Self.defaultID(ProcessInfo.processInfo.environment)
        let output: any SearchOutput = supervised ? PrefixedOutput(prefix: "[\(id)] ") : StandardOutput()
        // `search --workers` said it once for all its workers.
        if !supervised { options.adviseOnKernels(study) }
        try await options.run(study, overwrite: false, worker: id, output: output)
    }

    /// The worker id a scheduler's environment gives: a Slurm array task, a Kubernetes
    /// Indexed Job's completion index, else the host and process id.
    static func defaultID(_ environment: [String: String]) -> String {
        if let task = environment["SLURM_ARRAY_TASK_ID"], !task.isEmpty { return "slurm-\(task)" }
        if let index = environment["JOB_COMPLETION_INDEX"], !index.isEmpty { return "k8s-\(index)" }
        return "\(ProcessInfo.processInfo.hostName)-\(getpid())"
    }
}

/// Console lines of one of many workers: each line prefixed with the worker's id, and no
/// progress line (several processes would overwrite each other's).
final class PrefixedOutput: SearchOutput {
    let prefix: String

    init(prefix: String) {
        self.prefix = prefix
    }

    func line(_ text: String) {
        print(text.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 }.joined(separator: "\n"))
        fflush(nil)
    }

    func progress(_ text: String?) {}
}

extension Verbosity: ExpressibleByArgument {
    /// `--verbose 0`, `1` or `2`.
    public init?(argument: String) {
        guard let number = Int(argument), let value = Verbosity(rawValue: number) else { return nil }
        self = value
    }
}

/// Whether the built-in trainer runs the fastest kernels this machine can, and what to do
/// when it does not.
enum KernelAdvice {
    /// The CPU's feature flags (Linux: the `flags` line of `/proc/cpuinfo`); empty elsewhere.
    static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// The sentence to print, or `nil` when the build already runs the fastest kernels it can.
    static func sentence(build: Kernels.Build, cpuFlags: Set<String>) -> String? {
        let nativeCPU = cpuFlags.contains("avx2") && cpuFlags.contains("fma")
        switch build {
        case .debug:
            return "this is a debug build: the built-in trainer runs its matrix products in scalar loops. "
                + "`swift run -c release tuner …` runs them vectorized"
                + (nativeCPU ? ", in this CPU's AVX2 and FMA." : ".")
        case .portable where nativeCPU:
            return "the built-in trainer runs its portable kernels because SWIFTTUNER_KERNELS=portable is set; "
                + "without it, this CPU's AVX2 and FMA run the matrix products."
        case .portable, .dispatched, .native:
            return nil
        }
    }
}
