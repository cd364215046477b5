import ArgumentParser
import Foundation
import TunerJournal
import TunerTrainer

/// The side-by-side benchmarks: `swift run -c release TunerBenchmarks journal|trainer|reports|tuners`.
@main
struct BenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "TunerBenchmarks",
        abstract:
            "SwiftTuner measured side by side with its peers (Optuna, KerasTuner, numpy, scikit-learn, keras+jax).",
        subcommands: [
            Journal.self, Trainer.self, Reports.self, Tuners.self, Proposals.self, Workers.self, WorkersChild.self,
            WorkersRealChild.self, MLPObjective.self, ReportChild.self, Serve.self, ServeChild.self, ServeWriter.self,
        ],
        defaultSubcommand: Journal.self)
}

/// The numbers of a comma-separated option, each within `range`.
func commaSeparated(_ text: String, within range: ClosedRange<Int>, option: String) throws -> [Int] {
    let numbers = text.split(separator: ",").compactMap { Int($0) }
    guard !numbers.isEmpty, numbers.allSatisfy(range.contains) else {
        throw ValidationError("\(option) lists numbers from \(range.lowerBound) to \(range.upperBound)")
    }
    return numbers
}

/// Options every benchmark takes.
struct CommonOptions: ParsableArguments {
    @Option(help: "The Python that runs the peers (a venv with them installed); without it, no peer runs.")
    var python: String?

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    /// Runs a benchmark that records into `results`, then writes them where `--json` says.
    func measure(_ benchmark: String, _ body: (BenchmarkResults) throws -> Void) throws {
        let results = BenchmarkResults(benchmark: benchmark)
        try body(results)
        guard let json else { return }
        try results.data().write(to: URL(fileURLWithPath: json))
        print("results: \(json)")
    }
}

extension BenchmarkCommand {
    struct Journal: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Trials per second and resume time of the journal, against Optuna's SQLite storage.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Trivial trials per measured search.") var trials = 1000
        @Option(help: "Trials of the study that is resumed.") var resumeTrials = 10_000
        @Option(help: "Trials Optuna runs.") var optunaTrials = 300

        func run() throws {
            let options = JournalOptionsOfBenchmark(
                python: common.python, trials: trials, resumeTrials: resumeTrials,
                optunaTrials: optunaTrials)
            try common.measure("journal") { try runJournalBenchmark(options, results: $0) }
        }
    }

    struct Trainer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "GEMM against numpy's OpenBLAS, whole trials against scikit-learn and keras+jax, quality parity.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Seeds of the quality parity.") var seeds = 5
        @Option(help: "gemm, trial or parity: one part only.") var only: String?
        @Option(help: "GEMM shapes to measure, as MxNxK/A keys separated by commas.") var shapes: String?
        @Option(help: "Alternations with numpy in its own process (medians reported).") var rounds = 5
        @Option(help: "Pairs of samples with numpy's OpenBLAS loaded in this process.") var pairs = 101

        func validate() throws {
            if let only, !["gemm", "trial", "parity"].contains(only) {
                throw ValidationError("--only is gemm, trial or parity")
            }
            if rounds < 1 || pairs < 1 || seeds < 1 {
                throw ValidationError("--rounds, --pairs and --seeds are positive")
            }
        }

        func run() throws {
            var options = TrainerOptions()
            options.python = common.python
            options.seeds = seeds
            options.only = only
            options.shapes = Set((shapes ?? "").split(separator: ",").map(String.init))
            options.rounds = rounds
            options.pairs = pairs
            try common.measure("trainer") { try runTrainerBenchmark(options, results: $0) }
        }
    }

    struct Reports: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The HTML and JUnit reports of a large study.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Trials of each study, separated by commas.") var sizes = "1000,10000,50000"
        @Option(help: "Keep the studies in this folder, and use those already there.") var keep: String?

        func validate() throws { _ = try parsedSizes() }

        func parsedSizes() throws -> [Int] { try commaSeparated(sizes, within: 1...1_000_000, option: "--sizes") }

        func run() throws {
            let sizes = try parsedSizes()
            try common.measure("reports") {
                try runReportBenchmark(sizes: sizes, python: common.python, keep: keep, results: $0)
            }
        }
    }

    struct Proposals: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "BayesianOptimization's proposal time at many trials, against Optuna's GPSampler and TPE.")
        @OptionGroup var common: CommonOptions
        @Option(help: "History sizes, separated by commas.") var sizes = "50,200,500,1000"
        @Option(help: "Proposals timed at each size (the median is reported).") var rounds = 3

        func validate() throws {
            _ = try parsedSizes()
            if rounds < 1 { throw ValidationError("--rounds is positive") }
        }

        func parsedSizes() throws -> [Int] { try commaSeparated(sizes, within: 2...100_000, option: "--sizes") }

        func run() throws {
            let sizes = try parsedSizes()
            try common.measure("proposals") {
                try runProposalBenchmark(sizes: sizes, python: common.python, rounds: rounds, results: $0)
            }
        }
    }

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "tuner serve's dashboard on a large study, against optuna-dashboard on as many trials.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Trials of the study (about three attempts each).") var trials = 10_000
        @Option(help: "Keep the study in this folder, and use the one already there.") var keep: String?

        func validate() throws {
            if !(10...1_000_000).contains(trials) { throw ValidationError("--trials is 10 to 1,000,000") }
        }

        func run() throws {
            try common.measure("serve") {
                try runServeBenchmark(trials: trials, python: common.python, keep: keep, results: $0)
            }
        }
    }

    struct ServeChild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve-child", abstract: "The dashboard server of the serve benchmark.", shouldDisplay: false)
        @Argument var directory: String

        func run() async throws { try await serveChild(directory: directory) }
    }

    struct ServeWriter: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve-writer", abstract: "The search the serve benchmark's page follows.",
            shouldDisplay: false)
        @Argument var directory: String
        @Argument var trials: Int

        func run() throws { try serveWriter(directory: directory, trials: trials) }
    }

    struct ReportChild: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report-child", abstract: "Writes one study's reports (the reports benchmark).",
            shouldDisplay: false)
        @Argument var journal: String
        @Argument var html: String
        @Argument(help: "html or junit.") var format: String

        func run() throws { try writeReports(journal: journal, html: html, format: format) }
    }

    struct Tuners: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Our tuners against Optuna's TPE and KerasTuner's, on test functions and the built-in MLP.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Seeds per method.") var seeds = 10
        @Option(help: "Trials' budget per search.") var trials = 100
        @Option(help: "functions, mlp or all.") var part = "all"
        @Option(help: "Epochs of a full MLP trial.") var maxEpochs = 27

        func validate() throws {
            if !["functions", "mlp", "all"].contains(part) { throw ValidationError("--part is functions, mlp or all") }
        }

        func run() throws {
            try common.measure("tuners") {
                try runTunerBenchmark(
                    python: common.python, seeds: seeds, trials: trials, part: part,
                    maxEpochs: maxEpochs, results: $0)
            }
        }
    }

    struct Workers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Trivial trials with many workers on one study, against Optuna with as many on one SQLite file.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Worker counts, separated by commas.") var counts = "1,2,4,8,16"
        @Option(help: "Seconds each run is measured.") var seconds = 6.0
        @Option(help: "full, normal or both.") var synchronous = "both"
        @Option(help: "A PostgreSQL database URL (emptied each run): both tools measured on it too.") var postgres:
            String?

        func validate() throws {
            guard !parsedCounts.isEmpty, parsedCounts.allSatisfy({ (1...64).contains($0) }) else {
                throw ValidationError("--counts lists numbers from 1 to 64")
            }
            if !["full", "normal", "both"].contains(synchronous) {
                throw ValidationError("--synchronous is full, normal or both")
            }
            if !(seconds >= 1 && seconds <= 600) { throw ValidationError("--seconds is from 1 to 600") }
        }

        var parsedCounts: [Int] { counts.split(separator: ",").compactMap { Int($0) } }

        func run() throws {
            let modes: [JournalOptions.Synchronous] =
                synchronous == "both" ? [.full, .normal] : synchronous == "full" ? [.full] : [.normal]
            let options = WorkersBenchmarkOptions(
                python: common.python, counts: parsedCounts, seconds: seconds, synchronous: modes,
                postgres: postgres)
            try common.measure("workers") { try runWorkersBenchmark(options, results: $0) }
        }
    }

    struct WorkersChild: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "workers-child", abstract: "One worker of the workers benchmark.", shouldDisplay: false)
        @Argument var directory: String
        @Argument var synchronous: String
        @Argument var id: String

        func run() throws { try runBenchmarkWorker(directory: directory, synchronous: synchronous, id: id) }
    }

    struct WorkersRealChild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "workers-real-child", abstract: "One worker of the real-trials measurement.",
            shouldDisplay: false)
        @Argument var studyFile: String
        @Argument var directory: String
        @Argument var maxTrials: Int
        @Argument var id: String

        func run() async throws {
            try await runRealTrialsWorker(studyFile: studyFile, directory: directory, maxTrials: maxTrials, id: id)
        }
    }

    struct MLPObjective: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mlp-objective",
            abstract: "The MLP problem as a line-oriented JSON service for the Python tuners.",
            shouldDisplay: false)
        @Argument(help: "diabetes or iris.") var dataset: String
        @Argument(help: "The seed.") var seed: UInt64

        func run() throws { try serveMLPObjective(dataset: dataset, seed: seed) }
    }
}

/// The figures a benchmark measured, written as JSON beside its printed table.
final class BenchmarkResults {
    let benchmark: String
    private var values: [(String, Double)] = []

    init(benchmark: String) { self.benchmark = benchmark }

    /// Records one figure (seconds, a rate, a ratio; the key says which).
    func record(_ key: String, _ value: Double) { values.append((key, value)) }

    /// The last figure recorded under `key`.
    func value(_ key: String) -> Double? { values.last { $0.0 == key }?.1 }

    /// `{"benchmark": …, "machine": {…}, "results": {key: value}}`; non-finite values are `null`.
    func data() throws -> Data {
        var results: [String: Any] = [:]
        for (key, value) in values { results[key] = value.isFinite ? value : NSNull() }
        let object: [String: Any] = [
            "benchmark": benchmark,
            "date": ISO8601DateFormatter().string(from: Date()),
            "machine": ["cores": ProcessInfo.processInfo.activeProcessorCount, "build": Kernels.buildDescription],
            "results": results,
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}
