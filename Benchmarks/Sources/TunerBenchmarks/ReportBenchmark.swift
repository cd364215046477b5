import Foundation
import SwiftTuner

/// `TunerBenchmarks reports`: a study of 10,000 trials and about 30,000 attempts (two
/// failed attempts before most successes), then the time and size of its HTML and JUnit reports.
func runReportBenchmark(trials: Int, results: BenchmarkResults) throws {
    let work = (NSTemporaryDirectory() as NSString).appendingPathComponent("swifttuner-report-bench-\(getpid())")
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: work) }
    let hp = HyperParameters()
    try hp.float("learning_rate", min: 1e-4, max: 1e-1, sampling: .log)
    try hp.int("units", min: 8, max: 512)
    try hp.choice("activation", ["relu", "tanh", "sigmoid"])
    let tuner = try Tuner(
        oracle: RandomSearchOracle(), objective: "val_loss", hyperparameters: hp,
        configuration: TunerConfiguration(
            directory: work, projectName: "big", maxTrials: trials, maxRetriesPerTrial: 2,
            maxConsecutiveFailedTrials: nil, seed: 1, verbose: 0, journal: JournalOptions(synchronous: .normal)),
        output: CapturedOutput())
    tuner.handlesSignals = false
    let setup = try time {
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
    }
    let attempts = try tuner.journal.attempts().count
    print("report benchmark: \(trials) trials, \(attempts) attempts (made in \(String(format: "%.1f", setup)) s)")
    var html = "", junit = Data()
    let read = try time { _ = try StudySnapshot(journal: tuner.journal) }
    let snapshot = try StudySnapshot(journal: tuner.journal)
    let htmlTime = time { html = HTMLReport(snapshot: snapshot).render() }
    let junitTime = try time { junit = try JUnitReport(snapshots: [snapshot]).document() }
    results.record("report_read_seconds", read)
    results.record("report_html_seconds", htmlTime)
    results.record("report_html_bytes", Double(html.utf8.count))
    results.record("report_junit_seconds", junitTime)
    results.record("report_junit_bytes", Double(junit.count))
    print(String(format: "  read the journal: %.2f s", read))
    print(
        String(
            format: "  HTML:  %.2f s, %.1f MB (every trial in the table, charts sampled)", htmlTime,
            Double(html.utf8.count) / 1e6))
    print(String(format: "  JUnit: %.2f s, %.1f MB", junitTime, Double(junit.count) / 1e6))
    print(String(format: "  total (read + both reports): %.2f s", read + htmlTime + junitTime))
}

struct ReportBenchmarkError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
