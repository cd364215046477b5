import Foundation
import SwiftTuner

/// `TunerBenchmarks reports [--sizes 1000,10000,50000]`: studies of that many trials with about
/// three attempts each (two failed attempts before most successes), then what writing their HTML
/// and JUnit reports costs — time and peak memory of a process that only does that, as
/// `tuner report` does — and how long headless Chromium takes to open the HTML file.
func runReportBenchmark(sizes: [Int], python: String?, keep: String?, results: BenchmarkResults) throws {
    let work =
        keep ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("swifttuner-report-bench-\(getpid())")
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    defer { if keep == nil { try? FileManager.default.removeItem(atPath: work) } }
    var files: [String] = []
    for trials in sizes {
        let kept = Tuner.journalPath(directory: work, projectName: "big-\(trials)")
        let journal =
            keep != nil && FileManager.default.fileExists(atPath: kept)
            ? kept : try makeReportStudy(trials: trials, directory: work)
        let html = (work as NSString).appendingPathComponent("report-\(trials).html")
        // Each report in a process of its own, as `tuner report --html` or `--junit` runs: its
        // peak memory is that report's.
        guard let child = runReportChild(journal: journal, html: html, format: "html"),
            let junitChild = runReportChild(journal: journal, html: html, format: "junit")
        else {
            throw ReportBenchmarkError(message: "the report child failed for \(trials) trials")
        }
        let attempts = Int(child["attempts"] ?? 0)
        print(
            String(
                format:
                    "report benchmark, %d trials (%d attempts): HTML: read %.2f s + write %.2f s = %.2f s, %.2f MB, "
                    + "peak memory %.0f MB; JUnit: read %.2f s + write %.2f s, %.1f MB, peak memory %.0f MB",
                trials, attempts, child["read_seconds"] ?? 0, child["write_seconds"] ?? 0,
                (child["read_seconds"] ?? 0) + (child["write_seconds"] ?? 0), (child["bytes"] ?? 0) / 1e6,
                (child["max_rss_bytes"] ?? 0) / 1e6, junitChild["read_seconds"] ?? 0,
                junitChild["write_seconds"] ?? 0, (junitChild["bytes"] ?? 0) / 1e6,
                (junitChild["max_rss_bytes"] ?? 0) / 1e6))
        for (key, value) in child { results.record("report_\(trials)_html_\(key)", value) }
        for (key, value) in junitChild { results.record("report_\(trials)_junit_\(key)", value) }
        files.append(html)
    }
    guard let python else {
        print("  (no --python: Chromium's load time is not measured)")
        return
    }
    guard let load = runPeer(python, "report_load.py", ["3"] + files) else {
        throw ReportBenchmarkError(message: "Chromium could not open the reports (chromium, chromedriver, selenium)")
    }
    for (trials, file) in zip(sizes, files) {
        guard let timing = load[(file as NSString).lastPathComponent] as? [String: Double] else { continue }
        print(
            String(
                format: "  Chromium, %d trials: first contentful paint %.0f ms, DOM loaded %.0f ms, load %.0f ms",
                trials, timing["first_contentful_paint_ms"] ?? -1, timing["dom_content_loaded_ms"] ?? -1,
                timing["load_ms"] ?? -1))
        for (key, value) in timing { results.record("report_\(trials)_chromium_\(key)", value) }
    }
}

/// The search space of the benchmarks' large studies.
func reportStudySpace() throws -> HyperParameters {
    let hp = HyperParameters()
    try hp.float("learning_rate", min: 1e-4, max: 1e-1, sampling: .log)
    try hp.int("units", min: 8, max: 512)
    try hp.choice("activation", ["relu", "tanh", "sigmoid"])
    return hp
}

/// A study of `trials` trials (about three attempts each) made with trivial trials; returns
/// its journal's path.
func makeReportStudy(trials: Int, directory: String) throws -> String {
    let hp = try reportStudySpace()
    let tuner = try Tuner(
        oracle: RandomSearchOracle(), objective: "val_loss", hyperparameters: hp,
        configuration: TunerConfiguration(
            directory: directory, projectName: "big-\(trials)", maxTrials: trials, maxRetriesPerTrial: 2,
            maxConsecutiveFailedTrials: nil, seed: 1, overwrite: true, verbose: 0,
            journal: JournalOptions(synchronous: .normal)),
        output: CapturedOutput())
    tuner.handlesSignals = false
    try tuner.search { context in
        if context.retry < 2 && context.number % 10 != 0 {
            throw ReportBenchmarkError(message: "attempt \(context.retry + 1) failed")
        }
        let lr: Double = context.hyperparameters["learning_rate"]?.doubleValue ?? 0
        var history: [[String: Double]] = []
        for epoch in 0..<5 {
            let decay = 1 / Double(epoch + 1)
            history.append(["loss": lr * 10 + decay, "val_loss": lr * 12 + 1.1 * decay])
        }
        return TrialResult(history: history)
    }
    return try tuner.journal.path
}

/// Runs `TunerBenchmarks report-child` on a journal: a process that only reads the study and
/// writes its reports, so that its peak memory is theirs.
func runReportChild(journal: String, html: String, format: String) -> [String: Double]? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    process.arguments = ["report-child", journal, html, format]
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    return (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Double]
}

/// The child's work: read the journal, then write its HTML report to `html` or its JUnit report
/// beside it (`format`); prints the times, the size and the peak memory as one JSON line.
func writeReports(journal path: String, html: String, format: String) throws {
    var snapshot: StudySnapshot?
    // As `tuner report` reads it: every trace for JUnit, the first of each error type for HTML.
    let read = try time {
        snapshot = try StudySnapshot(
            journal: try StudyJournal.openForReading(at: path),
            reading: format == "html" ? .html : .complete)
    }
    guard let snapshot else { return }
    if ProcessInfo.processInfo.environment["LAYOUT"] != nil {
        print(MemoryLayout<AttemptRecord>.stride, MemoryLayout<TrialRecord>.stride)
    }
    var afterRead = rusage()
    getrusage(RUSAGE_SELF.rawValue, &afterRead)
    var bytes = 0
    let write = try time {
        if format == "html" {
            let text = HTMLReport(snapshot: snapshot).render()
            bytes = text.utf8.count
            try text.write(toFile: html, atomically: false, encoding: .utf8)
        } else {
            let data = try JUnitReport(snapshots: [snapshot]).document()
            bytes = data.count
            try data.write(to: URL(fileURLWithPath: html + ".junit.xml"))
        }
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let result: [String: Double] = [
        "read_seconds": read, "write_seconds": write, "bytes": Double(bytes),
        "attempts": Double(snapshot.attempts.values.reduce(0) { $0 + $1.count }),
        "max_rss_bytes": Double(usage.ru_maxrss) * 1024, "max_rss_after_read_bytes": Double(afterRead.ru_maxrss) * 1024,
    ]
    let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
}

struct ReportBenchmarkError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
