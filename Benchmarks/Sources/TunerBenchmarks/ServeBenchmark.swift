import Foundation
import SwiftTuner
import TunerServe

/// `TunerBenchmarks serve [--trials 10000]`: `tuner serve`'s dashboard on a study of that many
/// trials (about three attempts each), beside optuna-dashboard on an Optuna study of as many
/// trials, in one run:
/// - the study page's first paint and load in headless Chromium (navigation timing);
/// - the server's peak memory;
/// - from an attempt journaled to the page showing it, while a search writes 100 attempts/s;
/// - the API's latency under 50 concurrent clients on loopback.
func runServeBenchmark(trials: Int, python: String?, keep: String?, results: BenchmarkResults) throws {
    guard let python else {
        print("(no --python: the serve benchmark needs Chromium through Selenium, and optuna-dashboard)")
        return
    }
    let work = keep ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("swifttuner-serve-bench-\(getpid())")
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    defer { if keep == nil { try? FileManager.default.removeItem(atPath: work) } }
    let journal = Tuner.journalPath(directory: work, projectName: "big-\(trials)")
    if keep == nil || !FileManager.default.fileExists(atPath: journal) {
        _ = try makeReportStudy(trials: trials, directory: work)
    }
    let server = try ServeChildProcess(arguments: ["serve-child", work])
    defer { server.stop() }
    let base = "http://127.0.0.1:\(server.port)"
    let page = "\(base)/studies/big-\(trials)"

    guard let paint = runPeer(python, "dashboard_load.py", ["paint", page, "3"]) else {
        throw ServeBenchmarkError(message: "Chromium could not open the study page")
    }
    guard let api = runPeer(python, "dashboard_load.py", ["api", "\(base)/api/studies/big-\(trials)", "50", "8"]) else {
        throw ServeBenchmarkError(message: "the API load failed")
    }
    // wrk (Debian's), where it is installed: a client whose own cost does not count, unlike
    // Python's threads under one lock.
    let wrk = runWrk("\(base)/api/studies/big-\(trials)", connections: 50, seconds: 8)
    // A search writing about 100 attempts a second into the served study while the page is open.
    let writer = Process()
    writer.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    writer.arguments = ["serve-writer", work, "\(trials)"]
    writer.standardOutput = FileHandle.nullDevice
    try writer.run()
    let live = runPeer(python, "dashboard_load.py", ["live", page, "20"])
    kill(writer.processIdentifier, SIGINT)
    writer.waitUntilExit()
    let memory = server.peakMemory()
    guard let live else { throw ServeBenchmarkError(message: "the live page could not be measured") }

    let peer = runPeer(python, "dashboard_load.py", ["optuna", "\(trials)", "3", "20"])
    func number(_ object: [String: Any]?, _ key: String) -> Double { (object?[key] as? Double) ?? -1 }
    print(
        String(
            format:
                "serve benchmark, %d trials: first contentful paint %.0f ms, load %.0f ms; peak memory %.0f MB; "
                + "journaled to shown (the latest attempts) p50 %.0f ms, p95 %.0f ms over %.0f events; "
                + "the whole page read again p50 %.0f ms, p95 %.0f ms over %.0f updates; "
                + "API with 50 clients: p50 %.1f ms, p99 %.1f ms, %.0f requests/s",
            trials, number(paint, "first_contentful_paint_ms"), number(paint, "load_ms"), memory / 1e6,
            number(live, "delay_p50_ms"), number(live, "delay_p95_ms"), number(live, "updates"),
            number(live, "page_delay_p50_ms"), number(live, "page_delay_p95_ms"), number(live, "page_updates"),
            number(api, "p50_ms"), number(api, "p99_ms"), number(api, "requests_per_second")))
    if let wrk {
        print(
            String(
                format: "  API with 50 wrk connections: p50 %.1f ms, p99 %.1f ms, %.0f requests/s",
                wrk["p50_ms"] ?? -1, wrk["p99_ms"] ?? -1, wrk["requests_per_second"] ?? -1))
        for (key, value) in wrk { results.record("serve_wrk_\(key)", value) }
    }
    for (name, object) in [("paint", paint), ("api", api), ("live", live)] {
        for (key, value) in object { if let value = value as? Double { results.record("serve_\(name)_\(key)", value) } }
    }
    results.record("serve_peak_memory_bytes", memory)
    guard let peer else {
        print("  (optuna-dashboard could not be measured)")
        return
    }
    print(
        String(
            format:
                "  optuna-dashboard, %d trials: first contentful paint %.0f ms, trials shown %.0f ms; "
                + "a new trial shown after p50 %.0f ms, p95 %.0f ms",
            trials, number(peer, "first_contentful_paint_ms"), number(peer, "trials_shown_ms"),
            number(peer, "delay_p50_ms"), number(peer, "delay_p95_ms")))
    for (key, value) in peer { if let value = value as? Double { results.record("serve_optuna_\(key)", value) } }
}

/// What went wrong in the serve benchmark.
struct ServeBenchmarkError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// `TunerBenchmarks serve-child DIR` in a process of its own, so that its peak memory is the
/// server's; it prints the port it listens on.
final class ServeChildProcess {
    let process = Process()
    let port: Int

    init(arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        guard let text = String(data: line, encoding: .utf8), text.hasPrefix("port "),
            let port = Int(text.dropFirst(5).prefix { $0.isNumber })
        else {
            process.terminate()
            throw ServeBenchmarkError(message: "the server did not start")
        }
        self.port = port
    }

    /// The server's peak resident memory so far (`VmHWM`), in bytes.
    func peakMemory() -> Double {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Double(line.split(separator: " ").dropFirst().first ?? "").map { $0 * 1024 } ?? -1
    }

    func stop() {
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
    }
}

/// The server child's work: serves `directory` on a free loopback port, says the port, and
/// stops on SIGINT.
func serveChild(directory: String) async throws {
    let server = DashboardServer(
        configuration: DashboardConfiguration(catalog: StudyCatalog(folder: directory), port: 0))
    try await server.run(stopsOnSignals: true) { port in
        print("port \(port)")
        fflush(nil)
    }
}

/// The writer child's work: resumes the benchmark's study and journals about 100 attempts a
/// second (two failed attempts before most successes, as the study was made) until SIGINT.
func serveWriter(directory: String, trials: Int) throws {
    let tuner = try Tuner(
        oracle: RandomSearchOracle(), objective: "val_loss", hyperparameters: try reportStudySpace(),
        configuration: TunerConfiguration(
            directory: directory, projectName: "big-\(trials)", maxTrials: trials + 1_000_000, maxRetriesPerTrial: 2,
            maxConsecutiveFailedTrials: nil, seed: 1, verbose: 0, journal: JournalOptions(synchronous: .normal)),
        output: CapturedOutput())
    tuner.handlesSignals = true
    try tuner.search { context in
        usleep(9_000)
        if context.retry < 2 && context.number % 10 != 0 {
            throw ServeBenchmarkError(message: "attempt \(context.retry + 1) failed")
        }
        return TrialResult(metrics: ["val_loss": context.hyperparameters["learning_rate"]?.doubleValue ?? 0])
    }
}

/// `wrk -t2 -c CONNECTIONS -d SECONDS --latency URL`: its p50 and p99 latency in milliseconds and
/// its requests per second; nil where wrk is not installed.
func runWrk(_ url: String, connections: Int, seconds: Int) -> [String: Double]? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["wrk", "-t2", "-c\(connections)", "-d\(seconds)s", "--latency", url]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    /// "50%  155.44ms" → 155.44; wrk prints us, ms or s.
    func milliseconds(_ label: String) -> Double? {
        let lines = text.split(separator: "\n")
        guard let line = lines.first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }) else {
            return nil
        }
        let value = line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) ?? ""
        for (unit, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where value.hasSuffix(unit) {
            return Double(value.dropLast(unit.count)).map { $0 * scale }
        }
        return nil
    }
    let rate = text.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }
        .flatMap { Double($0.split(separator: " ").last ?? "") }
    return ["p50_ms": milliseconds("50%") ?? -1, "p99_ms": milliseconds("99%") ?? -1, "requests_per_second": rate ?? -1]
}
