import Foundation
import SwiftTuner
import TunerJournal

/// The coordination cost of many workers on one study: trivial trials (the body returns at
/// once) with 1, 2, 4, … worker processes on one SQLite journal for a fixed time, against
/// Optuna with the same worker counts on one SQLite file (`peers/optuna_workers.py`).
struct WorkersBenchmarkOptions {
    var python: String?
    var counts: [Int]
    var seconds: Double
    var synchronous: [JournalOptions.Synchronous]
    /// A PostgreSQL server's database URL: SwiftTuner and Optuna measured on it too.
    var postgres: String?
}

/// One measured run: aggregate trials per second over the window, each worker's trials, and
/// the 99th percentile of a worker's cycle, from one attempt's start to its next (for a
/// trivial trial, that is all coordination: the claim, the proposal and the journal writes,
/// waits for the other workers included).
struct WorkersMeasurement {
    var trialsPerSecond: Double
    var perWorker: [Int]
    var cycleP99: Double

    var fairness: Double { Double(perWorker.min() ?? 0) / Double(max(1, perWorker.max() ?? 1)) }
}

/// The space and the study every worker of a run opens.
func workersBenchmarkTuner(
    directory: String, synchronous: JournalOptions.Synchronous, worker: String?,
    store: String? = nil
) throws -> Tuner {
    let hp = HyperParameters()
    try hp.float("x", min: 1e-4, max: 1e-1, sampling: .log)
    try hp.float("y", min: 0, max: 1)
    var configuration = TunerConfiguration(
        directory: directory, projectName: "workers", maxTrials: 100_000_000,
        maxConsecutiveFailedTrials: nil, seed: 1, verbose: .silent,
        journal: JournalOptions(synchronous: synchronous, worker: worker), store: store)
    configuration.handlesSignals = true
    return try Tuner(
        oracle: RandomSearchOracle(), objective: "val_loss", hyperparameters: hp, configuration: configuration)
}

/// A worker process of the benchmark: searches until SIGINT.
func runBenchmarkWorker(directory: String, synchronous: String, id: String) throws {
    // With a PostgreSQL URL in place of the folder, the study is kept there.
    let store = PostgresURL.isPostgres(directory) ? directory : nil
    let tuner = try workersBenchmarkTuner(
        directory: store == nil ? directory : NSTemporaryDirectory(),
        synchronous: synchronous == "normal" ? .normal : .full,
        worker: id == "solo" ? nil : id, store: store)
    try tuner.search { context in
        let x = context.hyperparameters["x"]?.doubleValue ?? 0, y = context.hyperparameters["y"]?.doubleValue ?? 0
        return TrialResult(metrics: ["val_loss": (x - 0.01) * (x - 0.01) + y])
    }
}

func measureSwiftTunerWorkers(
    count: Int, seconds: Double, synchronous: JournalOptions.Synchronous,
    postgres: String? = nil
) throws -> WorkersMeasurement {
    let folder = NSTemporaryDirectory() + "swifttuner-workers-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // On PostgreSQL, each run's study starts empty under the same name.
    if let postgres {
        _ = try workersBenchmarkTuner(directory: folder, synchronous: synchronous, worker: "setup", store: postgres)
    }
    let directory = postgres ?? folder
    if postgres == nil { _ = try workersBenchmarkTuner(directory: directory, synchronous: synchronous, worker: nil) }
    let executable =
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    let processes = try (1...count).map { id -> Process in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["workers-child", directory, synchronous == .normal ? "normal" : "full", "w\(id)"]
        try process.run()
        return process
    }
    // Half a second to start, then the window.
    let start = Date().timeIntervalSince1970 + 0.5
    usleep(UInt32((0.5 + seconds) * 1e6))
    for process in processes { kill(process.processIdentifier, SIGINT) }
    for process in processes { process.waitUntilExit() }
    let journal: StudyJournal
    if let postgres {
        let copy = (folder as NSString).appendingPathComponent("copy.sqlite")
        try StudyJournal.write(try PostgresStudyStore.openForReading(url: postgres, study: "workers").dump(), to: copy)
        journal = try StudyJournal.openForReading(at: copy)
    } else {
        journal = try StudyJournal.openForReading(at: Tuner.journalPath(directory: directory, projectName: "workers"))
    }
    let sessions = try journal.sessions()
    let workerOf = Dictionary(uniqueKeysWithValues: sessions.compactMap { s in s.id.map { ($0, s.worker ?? "") } })
    let attempts = try journal.attempts().filter { $0.outcome == .completed }
    let window = attempts.filter { ($0.endedAt ?? 0) >= start && ($0.endedAt ?? 0) < start + seconds }
    var perWorker: [String: Int] = [:]
    for attempt in window { perWorker[workerOf[attempt.session] ?? "", default: 0] += 1 }
    var gaps: [Double] = []
    for (_, list) in Dictionary(grouping: window, by: \.session) {
        let sorted = list.sorted { $0.startedAt < $1.startedAt }
        for (before, after) in zip(sorted, sorted.dropFirst()) { gaps.append(after.startedAt - before.startedAt) }
    }
    gaps.sort()
    let p99 = gaps.isEmpty ? .nan : gaps[min(gaps.count - 1, Int(Double(gaps.count) * 0.99))]
    let counts = (1...count).map { perWorker["w\($0)"] ?? 0 }
    return WorkersMeasurement(trialsPerSecond: Double(window.count) / seconds, perWorker: counts, cycleP99: p99)
}

func measureOptunaWorkers(python: String, count: Int, seconds: Double, postgres: String? = nil) throws -> (
    WorkersMeasurement, String, Int
)? {
    let directory = NSTemporaryDirectory() + "optuna-workers-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    guard
        let object = runPeer(
            python, "optuna_workers.py",
            [directory, "\(count)", "\(seconds)"] + (postgres.map { [sqlAlchemyURL($0)] } ?? [])),
        let rate = object["trials_per_second"] as? Double, let perWorker = object["per_worker"] as? [Int],
        let p99 = object["cycle_p99"] as? Double
    else {
        return nil
    }
    return (
        WorkersMeasurement(trialsPerSecond: rate, perWorker: perWorker, cycleP99: p99),
        object["version"] as? String ?? "?", object["errors"] as? Int ?? 0
    )
}

/// A store both tools are measured on: SQLite files in a temporary folder, or one PostgreSQL
/// database (emptied before each run).
enum WorkersBenchmarkStore {
    case sqlite([JournalOptions.Synchronous])
    case postgres(String)

    var name: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }

    /// SwiftTuner's runs on this store: a row label, a key for the results, and how to run it.
    var swiftTunerRuns: [(label: String, key: String, synchronous: JournalOptions.Synchronous, postgres: String?)] {
        switch self {
        case .sqlite(let modes):
            modes.map { mode in
                let key = mode == .full ? "full" : "normal"
                return ("SwiftTuner SQLite \(key.uppercased())", key, mode, nil)
            }
        case .postgres(let url): [("SwiftTuner PostgreSQL", "postgres", .full, url)]
        }
    }
}

func runWorkersBenchmark(_ options: WorkersBenchmarkOptions, results: BenchmarkResults) throws {
    print("Trivial trials for \(options.seconds) s per run, \(ProcessInfo.processInfo.activeProcessorCount) cores")
    print("store                   workers  trials/s  min/max  p99 cycle (ms)")
    func row(_ name: String, _ n: Int, _ m: WorkersMeasurement) {
        print(
            String(
                format: "%-22@  %7d  %8.0f  %7.2f  %8.2f", name as NSString, n, m.trialsPerSecond, m.fairness,
                m.cycleP99 * 1000))
    }
    let stores = [WorkersBenchmarkStore.sqlite(options.synchronous)] + (options.postgres.map { [.postgres($0)] } ?? [])
    for store in stores {
        let postgres: String? = if case .postgres(let url) = store { url } else { nil }
        let optunaKey = "optuna_\(store.name.lowercased())"
        for count in options.counts {
            var optuna: WorkersMeasurement?
            if let postgres { try resetPostgresStudy(postgres) }
            if let python = options.python,
                let (measured, version, errors) = try measureOptunaWorkers(
                    python: python, count: count, seconds: options.seconds,
                    postgres: postgres)
            {
                optuna = measured
                row("Optuna \(version) \(store.name)", count, measured)
                results.record("\(optunaKey)_\(count)_trials_per_second", measured.trialsPerSecond)
                results.record("\(optunaKey)_\(count)_fairness", measured.fairness)
                results.record("\(optunaKey)_\(count)_cycle_p99_seconds", measured.cycleP99)
                results.record("\(optunaKey)_\(count)_errors", Double(errors))
                if errors > 0 { print("  (\(errors) Optuna trials failed with a storage error)") }
            }
            for run in store.swiftTunerRuns {
                if let postgres { try resetPostgresStudy(postgres) }
                let measured = try measureSwiftTunerWorkers(
                    count: count, seconds: options.seconds, synchronous: run.synchronous,
                    postgres: run.postgres)
                row(run.label, count, measured)
                results.record("swifttuner_\(run.key)_\(count)_trials_per_second", measured.trialsPerSecond)
                results.record("swifttuner_\(run.key)_\(count)_fairness", measured.fairness)
                results.record("swifttuner_\(run.key)_\(count)_cycle_p99_seconds", measured.cycleP99)
                if let optuna {
                    let ratio = measured.trialsPerSecond / optuna.trialsPerSecond
                    results.record("ratio_\(run.key)_\(count)_over_optuna", ratio)
                    print(String(format: "  ratio over Optuna: %.1fx", ratio))
                }
            }
        }
    }
    try runRealTrialsBenchmark(results: results)
}

/// Drops both tools' tables, so that each run starts from an empty database.
func resetPostgresStudy(_ url: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "psql", url, "-X", "-q", "-c",
        "DROP SCHEMA IF EXISTS swifttuner CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
    ]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw WorkersBenchmarkError(description: "cannot empty the database \(url)")
    }
}

/// A libpq URL as SQLAlchemy names it for psycopg2 (a Unix socket folder as the host query item).
func sqlAlchemyURL(_ url: String) -> String {
    url.replacingOccurrences(of: "postgresql://", with: "postgresql+psycopg2://")
}

/// A run of the workers benchmark that did not do what it measures.
struct WorkersBenchmarkError: Error, CustomStringConvertible {
    var description: String
}

/// Real trials: a study of the built-in MLP on a shipped dataset, searched by `count` worker
/// processes; returns the wall time from the first worker's start to the last one's end.
func measureRealTrials(studyFile: String, count: Int, maxTrials: Int) throws -> Double {
    let directory = NSTemporaryDirectory() + "swifttuner-real-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let executable =
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    let start = Date()
    let processes = try (1...count).map { id -> Process in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["workers-real-child", studyFile, directory, "\(maxTrials)", "\(id)"]
        try process.run()
        return process
    }
    for process in processes { process.waitUntilExit() }
    let elapsed = Date().timeIntervalSince(start)
    let journal = try StudyJournal.openForReading(at: Tuner.journalPath(directory: directory, projectName: "real"))
    guard try journal.trials().count == maxTrials else {
        throw WorkersBenchmarkError(description: "the study ran \(try journal.trials().count) trials, not \(maxTrials)")
    }
    return elapsed
}

/// A worker of the real-trials measurement: the study file's search, as worker `id`.
func runRealTrialsWorker(studyFile: String, directory: String, maxTrials: Int, id: String) async throws {
    var study = try StudyFile.load(studyFile)
    study.directory = directory
    study.name = "real"
    try await StudyRun(study: study, verbose: .silent).search(maxTrials: maxTrials, worker: id)
}

func runRealTrialsBenchmark(results: BenchmarkResults) throws {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../../Fixtures"
    )
    .standardized
    let text = try String(contentsOf: fixtures.appendingPathComponent("studies/iris-random.yaml"), encoding: .utf8)
        .replacingOccurrences(of: "../data/iris.csv", with: fixtures.appendingPathComponent("data/iris.csv").path)
    print("\nReal trials: iris-random (the built-in MLP on iris), 100 trials, 1 worker against 2")
    for epochs in [40, 200] {
        let study = NSTemporaryDirectory() + "iris-random-\(epochs).yaml"
        try text.replacingOccurrences(of: "epochs: 40", with: "epochs: \(epochs)").write(
            toFile: study, atomically: true, encoding: .utf8)
        var one: [Double] = [], two: [Double] = []
        for _ in 0..<3 {
            one.append(try measureRealTrials(studyFile: study, count: 1, maxTrials: 100))
            two.append(try measureRealTrials(studyFile: study, count: 2, maxTrials: 100))
        }
        let a = one.sorted()[1], b = two.sorted()[1]
        print(
            String(
                format: "  %3d epochs: 1 worker %.2f s, 2 workers %.2f s (medians of 3): %.2f× the time", epochs, a, b,
                b / a))
        results.record("real_\(epochs)_epochs_one_worker_seconds", a)
        results.record("real_\(epochs)_epochs_two_workers_seconds", b)
        results.record("real_\(epochs)_epochs_ratio", b / a)
    }
}
