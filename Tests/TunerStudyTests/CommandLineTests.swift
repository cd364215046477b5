import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerReports
import TunerTestSupport
import XCTest

/// End-to-end: the built `tuner` binary on study files, in a scratch directory.
final class CommandLineTests: XCTestCase {
    static let root = repositoryRoot

    static var binary: String { ChildProcess.executable("tuner") }

    let scratch = TemporaryDirectory()

    struct Run { var code: Int32; var stdout: String; var stderr: String }

    func start(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = try ChildProcess.start(
            Self.binary, arguments, in: scratch.path, stdout: .capture, stderr: .capture)
        guard let out = process.standardOutput as? Pipe, let err = process.standardError as? Pipe else {
            throw XCTSkip("the child's output is not captured")
        }
        return (process, out, err)
    }

    @discardableResult
    func tuner(_ arguments: String...) throws -> Run {
        let run = try ChildProcess.run(Self.binary, arguments, in: scratch.path)
        return Run(code: run.code, stdout: run.stdout, stderr: run.stderr)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = scratch.file(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func fixture(_ name: String) -> String { Self.root.appendingPathComponent("Fixtures/studies/\(name)").path }

    /// `export --format json` as a table: "0007 FAILED 4".
    func table(_ study: String) throws -> [String] {
        let run = try tuner("export", ".tuner/\(study)", "--format", "json")
        XCTAssertEqual(run.code, 0, run.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let trials = object?["trials"] as? [[String: Any]] ?? []
        return trials.map { trial in
            let attempts = trial["attempts"] as? [[String: Any]] ?? []
            return
                "\(trial["id"] ?? "") \(trial["status"] ?? "") " +
                    "\(attempts.filter { $0["counted"] as? Bool == true }.count)"
        }
    }

    func testTheGuidesScenariosFromStudyFiles() throws {
        let tolerate = try tuner("search", fixture("seed-guide-tolerate.yaml"), "--verbose", "0")
        XCTAssertEqual(tolerate.code, 0, tolerate.stderr)
        XCTAssertEqual(
            try table("seed-guide-tolerate"),
            (0...6).map { "\(trialID($0)) COMPLETED 1" } + (7...11).map { "\(trialID($0)) FAILED 4" })
        let failed = try tuner("search", fixture("seed-guide-failed.yaml"), "--verbose", "0")
        XCTAssertEqual(failed.code, 0, failed.stderr)
        XCTAssertEqual(
            try table("seed-guide-failed"),
            (0...6).map { "\(trialID($0)) COMPLETED 1" } + (7...11).map { "\(trialID($0)) FAILED 1" })
        let fatal = try tuner("search", fixture("seed-guide-fatal.yaml"), "--verbose", "0")
        XCTAssertEqual(fatal.code, 4, "a fatal error exits 4")
        XCTAssert(fatal.stderr.contains("Model too large! It contains 1271 params."), fatal.stderr)
        XCTAssertEqual(try table("seed-guide-fatal"), (0...6).map { "\(trialID($0)) COMPLETED 1" } + ["0007 STOPPED 0"])

        let status = try tuner("status", ".tuner/seed-guide-tolerate")
        XCTAssert(status.stdout.contains("Trials: 12 (7 COMPLETED, 5 FAILED)"), status.stdout)
        XCTAssert(status.stdout.contains("Consecutive failed trials: 5"), status.stdout)
        let summary = try tuner("summary", ".tuner/seed-guide-tolerate", "--num-trials", "3")
        XCTAssert(
            summary.stdout.hasPrefix("Results summary\nResults in .tuner/seed-guide-tolerate\nShowing 3 best trials"),
            summary.stdout)
        let report = try tuner("report", ".tuner/seed-guide-fatal", "--html", "r.html", "--junit", "r.xml")
        XCTAssertEqual(report.code, 0, report.stderr)
        XCTAssertEqual(
            try XMLSchemaValidator(
                schemaAt: Self.root.appendingPathComponent("Fixtures/schemas/junit/junit-10.xsd").path
            )
            .validate(Data(contentsOf: URL(fileURLWithPath: scratch.file("r.xml")))), [])
        let csv = try tuner("export", ".tuner/seed-guide-fatal", "--format", "csv")
        XCTAssert(
            csv.stdout.hasPrefix(
                "id,status,score,attempts,counted_attempts,started_at,ended_at,error_type,message,units_1,units_2,"
                    + "best_loss,last_loss,best_val_loss,last_val_loss\n"
            ), csv.stdout)
    }

    func testTheConsecutiveFailureLimitExits3AndUsageErrorsExit2() throws {
        let limited = try tuner(
            "search", fixture("seed-guide-tolerate.yaml"), "--verbose", "0", "--max-consecutive-failed-trials", "2")
        XCTAssertEqual(limited.code, 3, limited.stderr)
        XCTAssertEqual(try tuner("search").code, 2)
        XCTAssertEqual(try tuner("search", fixture("seed-guide-tolerate.yaml"), "--verbose", "7").code, 2)
        XCTAssertEqual(try tuner("search", fixture("seed-guide-tolerate.yaml"), "--max-trials", "0").code, 2)
        XCTAssertEqual(try tuner("frobnicate").code, 2)
        let help = try tuner("search", "--help")
        XCTAssertEqual(help.code, 0)
        XCTAssert(help.stdout.contains("3 consecutive-failure limit"), help.stdout)
    }

    func testBadInputsExit1AndCreateNoJournal() throws {
        let good = try String(contentsOfFile: fixture("seed-guide-tolerate.yaml"), encoding: .utf8)
        try "a,b,y\n1,2,3\n4,5\n".write(toFile: scratch.file("ragged.csv"), atomically: true, encoding: .utf8)
        try "a,b,y\n1,2,3\n4,x,6\n".write(toFile: scratch.file("text.csv"), atomically: true, encoding: .utf8)
        let csvStudy = """
            study: csv
            objective: val_loss
            search_space: [{name: units, type: int, min: 2, max: 4}]
            trial:
              model: {layers: [{units: $units}, {units: 1}], loss: mean_squared_error}
              data: {csv: FILE, targets: [y], validation_split: 0.5}
            """
        let cases: [(String, String, String)] = [
            (
                "malformed", good.replacingOccurrences(of: "objective: val_loss", with: "objective: [val_loss"),
                "malformed YAML"
            ),
            (
                "unknown", good.replacingOccurrences(of: "max_retries_per_trial", with: "max_retry_per_trial"),
                "did you mean 'max_retries_per_trial'?"
            ),
            (
                "type", good.replacingOccurrences(of: "min: 10, max: 40", with: "min: ten, max: 40"),
                "expected an integer"
            ),
            (
                "range", good.replacingOccurrences(of: "min: 10, max: 40", with: "min: 50, max: 40"),
                "greater than max_value"
            ),
            ("missing-data", csvStudy.replacingOccurrences(of: "FILE", with: "nowhere.csv"), "cannot read the file"),
            ("ragged", csvStudy.replacingOccurrences(of: "FILE", with: "ragged.csv"), "line 3: the row has 2 fields"),
            (
                "text", csvStudy.replacingOccurrences(of: "FILE", with: "text.csv"),
                "line 3, column 'b' (2): \"x\" is not a number"
            ),
            (
                "command",
                "study: cmd\nobjective: val_loss\nsearch_space: [{name: x, type: int, min: 0, max: 2}]\ntrial: " +
                    "{command: \"no-such-program-here {x}\"}\n",
                "'no-such-program-here' is not on the PATH"
            ),
            (
                "objective", good.replacingOccurrences(of: "objective: val_loss", with: "objective: val_accuracy"),
                "no trial reports \"val_accuracy\""
            ),
        ]
        for (name, text, expected) in cases {
            let path = try write("\(name).yaml", text)
            let run = try tuner("search", path, "--verbose", "0")
            XCTAssertEqual(run.code, 1, "\(name): \(run.stderr)")
            XCTAssert(run.stderr.contains(expected), "\(name): \(run.stderr)")
            XCTAssert(
                run.stderr.contains("\(name).yaml") || run.stderr.contains(".csv"),
                "\(name) names the file: \(run.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.file(".tuner")), "\(name) created a journal")
        }
    }

    func testABadInputLeavesAnExistingJournalUnchanged() throws {
        let good = try String(contentsOfFile: fixture("seed-guide-failed.yaml"), encoding: .utf8)
        XCTAssertEqual(try tuner("search", try write("good.yaml", good), "--verbose", "0").code, 0)
        let journal = scratch.file(".tuner/seed-guide-failed/journal.sqlite")
        let before = try Data(contentsOf: URL(fileURLWithPath: journal))
        let bad = good.replacingOccurrences(of: "objective: val_loss", with: "objective: val_mae")
        let run = try tuner("search", try write("bad.yaml", bad), "--verbose", "0")
        XCTAssertEqual(run.code, 1, run.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: journal)), before)
    }

    func commandStudy(_ name: String, _ command: String, extra: String = "", values: String = "[1, 2, 3]") throws
        -> String
    {
        try write(
            "\(name).yaml",
            """
            study: \(name)
            tuner: grid
            objective: val_loss
            max_retries_per_trial: 1
            max_consecutive_failed_trials: none
            \(extra)
            search_space: [{name: x, type: choice, values: \(values)}]
            trial:
              command: \(command)
              timeout: 2
            """)
    }

    func testTheExampleTrainingScript() throws {
        let study = try String(contentsOfFile: fixture("command-example.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "Fixtures/studies/example/train.py", with: fixture("example/train.py"))
        let run = try tuner("search", try write("example.yaml", study), "--verbose", "0")
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertEqual(
            try table("command-example"), ["0000 COMPLETED 1", "0001 COMPLETED 1", "0002 COMPLETED 1", "0003 FAILED 1"])
        let stdout = try String(
            contentsOfFile: scratch.file(".tuner/command-example/trials/trial_0000/attempt_1.stdout"), encoding: .utf8)
        XCTAssert(stdout.contains("epoch 4: loss"), stdout)
    }

    func testCommandTrialsThatCrashHangOrWriteGarbage() throws {
        // Attempt 1 of each trial misbehaves, attempt 2 succeeds: each failure is retried.
        let script = """
            "if [ \\"$TUNER_ATTEMPT\\" = 1 ]; then case {x} in 1) kill -SEGV $$;; \
            2) sleep 30;; 3) echo 'not json' > \\"$TUNER_METRICS_FILE\\";; esac; fi; echo '{\\"val_loss\\": 0.{x}}' >> \
            \\"$TUNER_METRICS_FILE\\""
            """
        let run = try tuner("search", try commandStudy("misbehave", script), "--verbose", "0")
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertEqual(try table("misbehave"), ["0000 COMPLETED 2", "0001 COMPLETED 2", "0002 COMPLETED 2"])
        let journal = try StudyJournal.openForReading(at: scratch.file(".tuner/misbehave/journal.sqlite"))
        let messages = try journal.attempts().filter { $0.outcome == .error }.map { $0.message ?? "" }
        guard messages.count == 3 else { return XCTFail("\(messages)") }
        XCTAssert(messages[0].contains("segmentation fault"), messages[0])
        XCTAssert(messages[1].contains("timed out after 2 s"), messages[1])
        XCTAssert(messages[2].contains("line 1 is not a JSON object"), messages[2])
        XCTAssert(try journal.attempts().first?.trace?.contains("--- stderr (tail) ---") ?? false)
    }

    func testTheFatalExitCodeStopsTheSearch() throws {
        let run = try tuner(
            "search",
            try commandStudy(
                "fatal-exit", "\"[ {x} = 2 ] && exit 4; echo '{\\\"val_loss\\\": 1}' > \\\"$TUNER_METRICS_FILE\\\"\""),
            "--verbose", "0")
        XCTAssertEqual(run.code, 4, run.stderr)
        XCTAssertEqual(try table("fatal-exit"), ["0000 COMPLETED 1", "0001 STOPPED 0"])
    }

    func testResumeAfterSIGKILLOfTheTunerAndSIGINTKillsTheChildGroup() throws {
        let marker = "marker-\(UUID().uuidString.prefix(8))"
        let slow = try commandStudy(
            "slow", "\"sleep 0.4; echo '{\\\"val_loss\\\": 0.{x}}' > \\\"$TUNER_METRICS_FILE\\\" # \(marker)\"",
            values: "[1, 2, 3, 4, 5, 6]")
        let (first, _, _) = try start(["search", slow, "--verbose", "0"])
        let slowJournal = scratch.file(".tuner/slow/journal.sqlite")
        XCTAssert(
            waitUntil { ((try? StudyJournal.openForReading(at: slowJournal).trials().count) ?? 0) >= 2 },
            "the search ran its first trial")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let resumed = try tuner("search", slow, "--verbose", "0")
        XCTAssertEqual(resumed.code, 0, resumed.stderr)
        let rows = try table("slow")
        XCTAssertEqual(rows.count, 6)
        XCTAssert(rows.allSatisfy { $0.hasSuffix("COMPLETED 1") }, "\(rows)")
        let journal = try StudyJournal.openForReading(at: scratch.file(".tuner/slow/journal.sqlite"))
        XCTAssertEqual(try journal.sessions().first?.stopReason, .interrupted)

        // SIGINT while a child runs: the attempt is journaled, the child's group killed, exit 130.
        let hang = try commandStudy("hang", "\"sleep 30 # \(marker)-hang\"")
        let (second, _, _) = try start(["search", hang, "--verbose", "0"])
        // "[m]arker" matches the child's command line but not this pgrep's own shell.
        let survivors = {
            try self.shellOutput("pgrep -f '[m]\(marker.dropFirst())-hang' || true")
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        XCTAssert(try waitUntil { try !survivors().isEmpty }, "the child runs")
        kill(second.processIdentifier, SIGINT)
        second.waitUntilExit()
        XCTAssertEqual(second.terminationStatus, 130)
        XCTAssert(try waitUntil(timeout: 5) { try survivors().isEmpty }, "the child's process group was killed")
        let hangJournal = try StudyJournal.openForReading(at: scratch.file(".tuner/hang/journal.sqlite"))
        XCTAssertEqual(try hangJournal.attempts().last?.outcome, .interrupted)
        XCTAssertEqual(try hangJournal.sessions().last?.stopReason, .interrupted)
    }

    func shellOutput(_ command: String) throws -> String {
        try ChildProcess.shell(command, stderr: .inherit).stdout
    }
}
