import Foundation
import TunerTestSupport
import XCTest
import Yams

/// The recipes in `examples/` that start workers from a cluster scheduler: they parse, they
/// name what they rely on, and their exit-code policies match `tuner`'s codes (section 9).
final class SchedulerRecipeTests: XCTestCase {
    let examples = repositoryRoot.appendingPathComponent("examples")

    /// The Kubernetes Indexed Job: one pod per worker index, the study's ends (exit codes 2–5)
    /// fail the Job, disruptions are not counted, everything else is retried per index.
    func testTheKubernetesJobIsAnIndexedJobWhosePolicyFollowsTheExitCodes() throws {
        let text = try String(
            contentsOf: examples.appendingPathComponent("kubernetes/tuner-workers.yaml"), encoding: .utf8)
        let job = try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any])
        XCTAssertEqual(job["apiVersion"] as? String, "batch/v1")
        XCTAssertEqual(job["kind"] as? String, "Job")
        let spec = try XCTUnwrap(job["spec"] as? [String: Any])
        XCTAssertEqual(
            spec["completionMode"] as? String, "Indexed", "the index is the worker id (JOB_COMPLETION_INDEX)")
        XCTAssertEqual(spec["completions"] as? Int, spec["parallelism"] as? Int)
        XCTAssertNotNil(spec["backoffLimitPerIndex"] as? Int)
        let rules = try XCTUnwrap((spec["podFailurePolicy"] as? [String: Any])?["rules"] as? [[String: Any]])
        let failJob = try XCTUnwrap(rules.first { $0["action"] as? String == "FailJob" })
        let onExit = try XCTUnwrap(failJob["onExitCodes"] as? [String: Any])
        XCTAssertEqual(onExit["operator"] as? String, "In")
        XCTAssertEqual(
            onExit["values"] as? [Int], [2, 3, 4, 5], "usage, consecutive failures, fatal, no completed trial")
        XCTAssertTrue(
            rules.contains {
                ($0["action"] as? String) == "Ignore"
                    && ($0["onPodConditions"] as? [[String: Any]])?
                        .contains { $0["type"] as? String == "DisruptionTarget" } == true
            })
        let pod = try XCTUnwrap((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        XCTAssertEqual(pod["restartPolicy"] as? String, "Never", "a pod failure policy needs restartPolicy Never")
        let container = try XCTUnwrap((pod["containers"] as? [[String: Any]])?.first)
        XCTAssertEqual(container["name"] as? String, onExit["containerName"] as? String)
        let args = try XCTUnwrap(container["args"] as? [String])
        XCTAssertEqual(args.first, "worker")
        let store = try XCTUnwrap(args.firstIndex(of: "--store"))
        XCTAssertEqual(args[store + 1], "$(SWIFTTUNER_STORE)")
        let env = try XCTUnwrap(container["env"] as? [[String: Any]])
        XCTAssertTrue(
            env.contains { $0["name"] as? String == "SWIFTTUNER_STORE" && $0["valueFrom"] != nil },
            "the URL (with its password) comes from a Secret")
    }

    /// The Slurm array script: it is valid shell, names the array and requeue, and — run with a
    /// stand-in `tuner` that exits with given codes — retries what a restart may cure (1, a
    /// signal) and stops at once on a code that ends the study.
    func testTheSlurmScriptRetriesWhatARestartCuresAndStopsOnTheStudysEnd() throws {
        let script = examples.appendingPathComponent("slurm/tuner-workers.sbatch").path
        let text = try String(contentsOfFile: script, encoding: .utf8)
        for needed in ["#SBATCH --array=", "#SBATCH --requeue", "tuner worker", "--store \"$SWIFTTUNER_STORE\""] {
            XCTAssertTrue(text.contains(needed), "the script names \(needed)")
        }
        XCTAssertEqual(try run(["bash", "-n", script]).status, 0)

        func scenario(_ codes: [Int32]) throws -> (status: Int32, runs: Int) {
            let folder = TemporaryDirectory()
            let log = (folder.path as NSString).appendingPathComponent("runs")
            let stub = (folder.path as NSString).appendingPathComponent("tuner")
            // The stand-in answers each run with the next code of the list.
            try """
            #!/usr/bin/env bash
            echo "$*" >> "\(log)"
            n=$(wc -l < "\(log)")
            codes=(\(codes.map(String.init).joined(separator: " ")))
            exit "${codes[$((n - 1))]:-0}"
            """.write(toFile: stub, atomically: true, encoding: .utf8)
            chmod(stub, 0o755)
            let result = try run(
                ["bash", script, "study.yaml"],
                environment: [
                    "PATH": folder.path + ":/usr/bin:/bin", "SWIFTTUNER_STORE": "postgresql://tuner@db/studies",
                    "TUNER_RETRIES": "3",
                    "TUNER_RETRY_PAUSE": "0",
                ], timeout: 60)
            let runs = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n") ?? []
            if let first = runs.first {
                XCTAssertEqual(String(first), "worker study.yaml --store postgresql://tuner@db/studies --verbose 1")
            }
            return (result.status, runs.count)
        }
        XCTAssertEqual(try scenario([0]).status, 0)
        let cured = try scenario([1, 143, 0])
        XCTAssertEqual(cured.status, 0)
        XCTAssertEqual(cured.runs, 3, "an error and a signal are retried")
        for code: Int32 in [2, 3, 4, 5] {
            let ended = try scenario([code, 0])
            XCTAssertEqual(ended.status, code, "exit \(code) ends the task with the same code")
            XCTAssertEqual(ended.runs, 1, "exit \(code) is not retried")
        }
        let exhausted = try scenario([1, 1, 1, 1, 1, 1])
        XCTAssertEqual(exhausted.status, 1)
        XCTAssertEqual(exhausted.runs, 4, "TUNER_RETRIES bounds the retries")
    }

    private func run(
        _ arguments: [String], environment: [String: String]? = nil,
        timeout: Double = 30
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        XCTAssertTrue(waitUntil(timeout: timeout) { !process.isRunning })
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
