// Side-by-side benchmarks (run with `.ci/benchmark`). `journal` (the default) measures the
// study journal; `trainer` measures the built-in trainer (TrainerBenchmark.swift).
//
// The journal benchmark:
//   - trials per second of a trivial-objective RandomSearch, durable (synchronous=FULL, the
//     default) and synchronous=NORMAL, against Optuna's SQLite storage in the same run;
//   - opening and resuming a stored study of many trials, against Optuna's load_study.
//
//   TunerBenchmarks journal [--python PYTHON] [--trials N] [--resume-trials N] [--optuna-trials N]
import Foundation
import TunerCore
import SwiftTuner

/// The journal benchmark's options.
struct JournalOptionsOfBenchmark: Sendable {
    var python: String?
    var trials = 1000
    var resumeTrials = 10_000
    var optunaTrials = 300
}

func space() throws -> HyperParameters {
    let hp = HyperParameters()
    try hp.float("x", min: 1e-4, max: 1e-1, sampling: .log)
    try hp.float("y", min: 0, max: 1)
    return hp
}

func trivial(_ context: TrialContext) -> TrialResult {
    let x = context.hyperparameters["x"]?.doubleValue ?? 0
    let y = context.hyperparameters["y"]?.doubleValue ?? 0
    return TrialResult(metrics: ["val_loss": (x - 0.01) * (x - 0.01) + y])
}

func makeTuner(_ work: String, _ project: String, _ synchronous: JournalOptions.Synchronous, maxTrials: Int) throws
    -> Tuner
{
    let tuner = try Tuner(
        oracle: RandomSearchOracle(), objective: "val_loss", hyperparameters: try space(),
        configuration: TunerConfiguration(
            directory: work, projectName: project, maxTrials: maxTrials, seed: 1, verbose: 0,
            journal: JournalOptions(synchronous: synchronous)),
        output: CapturedOutput())
    tuner.handlesSignals = false
    return tuner
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now()
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

func rate(_ work: String, _ synchronous: JournalOptions.Synchronous, trials: Int) throws -> Double {
    let tuner = try makeTuner(work, "rate-\(synchronous.rawValue)", synchronous, maxTrials: trials)
    let elapsed = try seconds { try tuner.search(trivial) }
    return Double(trials) / elapsed
}

/// `TunerBenchmarks journal`.
func runJournalBenchmark(_ options: JournalOptionsOfBenchmark, results: BenchmarkResults) throws {
    let work = (NSTemporaryDirectory() as NSString).appendingPathComponent("swifttuner-bench-\(getpid())")
    try? FileManager.default.removeItem(atPath: work)
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: work) }

    print("SwiftTuner journal benchmark: \(options.trials) trivial trials; resume of \(options.resumeTrials) trials")
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; journal in \(work)")
    let full = try rate(work, .full, trials: options.trials)
    let normal = try rate(work, .normal, trials: options.trials)

    // A stored study, then the time to open it (checks, lock, recovery) and resume it: the
    // search loads every trial and finds nothing left to run.
    do {
        let tuner = try makeTuner(work, "resume", .normal, maxTrials: options.resumeTrials)
        try tuner.search(trivial)
    }
    var resumeTimes: [Double] = []
    for _ in 0..<5 {
        resumeTimes.append(
            try seconds {
                let tuner = try makeTuner(work, "resume", .full, maxTrials: options.resumeTrials)
                try tuner.search(trivial)
            })
    }
    let resume = resumeTimes.sorted()[resumeTimes.count / 2]
    if ProcessInfo.processInfo.environment["SWIFTTUNER_BENCH_BREAKDOWN"] != nil {
        var tuner: Tuner?
        print(
            String(
                format: "  open (checks, lock, migration): %.1f ms",
                try seconds { tuner = try makeTuner(work, "resume", .full, maxTrials: options.resumeTrials) } * 1000))
        var records: [TrialRecord] = []
        print(
            String(
                format: "  fetch trials:                   %.1f ms",
                try seconds { records = try tuner!.journal.trials() } * 1000))
        print(
            String(
                format: "  decode values:                  %.1f ms",
                try seconds { for r in records { _ = try r.values() } } * 1000))
        print(
            String(
                format: "  counted attempts:               %.1f ms",
                try seconds { _ = try tuner!.journal.attemptCounts() } * 1000))
    }

    // The raw mechanism of a durable trial: two fsynced transactions, nothing else.
    let rawFull = try TrialPath.rawRate(work, synchronous: "FULL", trials: options.trials)
    let rawNormal = try TrialPath.rawRate(work, synchronous: "NORMAL", trials: options.trials)
    results.record("raw_two_transactions_full_per_second", rawFull)
    results.record("raw_two_transactions_normal_per_second", rawNormal)
    results.record("ratio_full_over_raw", full / rawFull)
    print(
        String(
            format: "raw mechanism (2 WAL transactions/trial): FULL %.0f/s, NORMAL %.0f/s; SwiftTuner FULL is %.0f %% "
                + "of the raw FULL", rawFull, rawNormal, 100 * full / rawFull))
    if let counts = try TrialPath.instructions(work: work) {
        results.record("instructions_per_trial_outside_sqlite", counts.rest)
        results.record("instructions_per_trial_in_sqlite", counts.sqlite)
        print(
            String(
                format: "instructions per trivial trial (callgrind, NORMAL): %.0f k outside SQLite, %.0f k in SQLite",
                counts.rest / 1000, counts.sqlite / 1000))
    } else {
        print("(valgrind missing: instructions per trial not counted)")
    }
    results.record("swifttuner_full_trials_per_second", full)
    results.record("swifttuner_normal_trials_per_second", normal)
    results.record("swifttuner_resume_seconds", resume)
    print(String(format: "SwiftTuner  durable (synchronous=FULL):  %8.0f trials/s", full))
    print(String(format: "SwiftTuner  synchronous=NORMAL:          %8.0f trials/s", normal))
    print(
        String(
            format: "SwiftTuner  open + resume %d trials:   %8.1f ms (median of 5)", options.resumeTrials, resume * 1000
        ))

    if let python = options.python {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "peers/optuna_store.py"
        ).path
        process.arguments = [script, work, "\(options.optunaTrials)", "\(min(options.resumeTrials, 1000))"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 0,
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let optunaRate = object["trials_per_second"] as? Double,
            let optunaResume = object["resume_seconds"] as? Double,
            let count = object["resume_trials"] as? Int
        {
            print(
                String(
                    format: "Optuna %@ SQLite storage:             %8.0f trials/s (%d trials)",
                    object["version"] as? String ?? "?", optunaRate, options.optunaTrials))
            print(String(format: "Optuna      load_study + get_trials %d: %8.1f ms", count, optunaResume * 1000))
            if let inMemory = object["in_memory_trials_per_second"] as? Double {
                print(String(format: "Optuna      in-memory storage:            %8.0f trials/s", inMemory))
                results.record("optuna_in_memory_trials_per_second", inMemory)
                results.record("ratio_normal_over_optuna_in_memory", normal / inMemory)
                print(String(format: "ratio, NORMAL SwiftTuner / Optuna in-memory: %.2fx", normal / inMemory))
            }
            results.record("optuna_sqlite_trials_per_second", optunaRate)
            results.record("optuna_resume_seconds", optunaResume)
            results.record("ratio_full_over_optuna_sqlite", full / optunaRate)
            results.record("ratio_normal_over_optuna_sqlite", normal / optunaRate)
            print(String(format: "ratio, durable SwiftTuner / Optuna SQLite: %.1fx", full / optunaRate))
            print(String(format: "ratio, NORMAL SwiftTuner / Optuna SQLite:  %.1fx", normal / optunaRate))
        } else {
            print("Optuna peer failed (exit \(process.terminationStatus)): \(String(decoding: data, as: UTF8.self))")
        }
    } else {
        print("(no --python given: the Optuna peer was not run)")
    }
}
