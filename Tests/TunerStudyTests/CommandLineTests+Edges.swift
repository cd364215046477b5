import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerReports
import TunerStudy
import TunerTestSupport
import XCTest

/// The command line at its edges: what a trial receives is what is journaled, stops and
/// exit codes, signals from pipes and terminals, closed descriptors, and processes a trial
/// leaves behind (S6a, S11, S25, S26a, S28; SEMANTICS section 8).
extension CommandLineTests {
    func journal(_ study: String) throws -> StudyJournal {
        try StudyJournal.openForReading(at: scratch.file(".tuner/\(study)/journal.sqlite"))
    }

    func testFloatsReachACommandTrialExactlyAsJournaled() throws {
        let command =
            #""printf '%s' {lr} > \"$TUNER_TRIAL_DIR/arg\"; printf '%s' \"$TUNER_HP_LR\" > \"$TUNER_TRIAL_DIR/env\"; "#
            + #"echo '{\"val_loss\": 1}' > \"$TUNER_METRICS_FILE\"""#
        let study = try write(
            "exact.yaml",
            """
            study: exact
            tuner: grid
            objective: val_loss
            search_space: [{name: lr, type: choice, values: [0.000123456789, 1.0e-300, 0.1, 123456789.123456789]}]
            trial: {command: \(command)}
            """)
        let run = try tuner("search", study, "--verbose", "0")
        XCTAssertEqual(run.code, 0, run.stderr)
        let trials = try journal("exact").trials()
        XCTAssertEqual(trials.count, 4)
        for trial in trials {
            guard case .float(let journaled) = try trial.values()["lr"] else { return XCTFail("lr is a float") }
            let folder = scratch.file(".tuner/exact/trials/trial_\(trial.trialID)")
            for file in ["arg", "env"] {
                let text = try String(contentsOfFile: "\(folder)/\(file)", encoding: .utf8)
                XCTAssertEqual(
                    Double(text)?.bitPattern, journaled.bitPattern, "\(file) \(text) is \(journaled) bit for bit")
            }
        }
        let json =
            try JSONSerialization.jsonObject(
                with: Data(try tuner("export", ".tuner/exact", "--format", "json").stdout.utf8)) as? [String: Any]
        let first = try XCTUnwrap((json?["trials"] as? [[String: Any]])?.first)
        XCTAssertEqual(
            (first["metrics"] as? [String: [String: Double]])?["val_loss"], ["best": 1, "last": 1],
            "every metric, best and last")
        XCTAssertNotNil(first["startedAt"] as? Double)
        XCTAssertNotNil(first["endedAt"] as? Double)
        XCTAssertNotNil((first["attempts"] as? [[String: Any]])?.first?["startedAt"] as? Double)
        let csv = try tuner("export", ".tuner/exact", "--format", "csv").stdout
        XCTAssert(csv.contains("0.000123456789"), csv)
        XCTAssert(csv.contains("1e-300"), csv)
    }

    func testPlaceholdersExpandOnceAndValuesCannotBreakTheQuoting() throws {
        let command =
            #""printf '%s|%s' {a} {b} > \"$TUNER_TRIAL_DIR/args\"; echo '{\"val_loss\": 1}' > \"$TUNER_METRICS_FILE\"""#
        let study = try write(
            "once.yaml",
            """
            study: once
            tuner: grid
            objective: val_loss
            search_space:
              - {name: a, type: choice, values: ["{b}", "x'y; echo owned", "$(touch pwned)"]}
              - {name: b, type: choice, values: ["B"]}
            trial: {command: \(command)}
            """)
        XCTAssertEqual(try tuner("search", study, "--verbose", "0").code, 0)
        let args = try (0..<3).map {
            try String(contentsOfFile: scratch.file(".tuner/once/trials/trial_000\($0)/args"), encoding: .utf8)
        }
        XCTAssertEqual(args, ["{b}|B", "x'y; echo owned|B", "$(touch pwned)|B"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.file("pwned")))
    }

    func testAResumeRefusesAChangedTrialDefinitionUnlessAccepted() throws {
        let original = try String(contentsOfFile: fixture("seed-guide-tolerate.yaml"), encoding: .utf8)
        let path = try write("guide.yaml", original)
        XCTAssertEqual(try tuner("search", path, "--verbose", "0", "--max-trials", "2").code, 0)
        try original.replacingOccurrences(of: "epochs: 10", with: "epochs: 5").write(
            toFile: path, atomically: true, encoding: .utf8)
        let refused = try tuner("search", path, "--verbose", "0", "--max-trials", "4")
        XCTAssertEqual(refused.code, 1, refused.stderr)
        XCTAssert(refused.stderr.contains("trial definition differs"), refused.stderr)
        XCTAssert(
            refused.stderr.contains(#"fit: {"batch_size":"32","epochs":"10"} → {"batch_size":"32","epochs":"5"}"#),
            refused.stderr)
        XCTAssert(refused.stderr.contains("--accept-trial-change"), refused.stderr)
        XCTAssertEqual(try journal("seed-guide-tolerate").trials().count, 2, "nothing ran")
        let accepted = try tuner("search", path, "--verbose", "0", "--max-trials", "4", "--accept-trial-change")
        XCTAssertEqual(accepted.code, 0, accepted.stderr)
        XCTAssertEqual(try journal("seed-guide-tolerate").trials().count, 4)
        // The space is checked the same way, with its own option.
        try original.replacingOccurrences(of: "max: 30, step: 10", with: "max: 50, step: 10")
            .replacingOccurrences(of: "epochs: 10", with: "epochs: 5").write(
                toFile: path, atomically: true, encoding: .utf8)
        let space = try tuner("search", path, "--verbose", "0", "--max-trials", "5")
        XCTAssert(space.stderr.contains("--accept-space-change"), space.stderr)
        XCTAssertEqual(
            try tuner("search", path, "--verbose", "0", "--max-trials", "5", "--accept-space-change").code, 0)
    }

    func testExitCodesForNoCompletedTrialAndAMissingObjective() throws {
        let failing = try tuner("search", try commandStudy("all-fail", "\"exit 1\""), "--verbose", "0")
        XCTAssertEqual(failing.code, 5, "every trial failed: CI must not go green (\(failing.stderr))")
        XCTAssert(failing.stderr.contains("no COMPLETED trial"), failing.stderr)
        let missing = try tuner(
            "search", try commandStudy("no-objective", #""echo '{\"loss\": 1}' > \"$TUNER_METRICS_FILE\"""#),
            "--verbose", "0")
        XCTAssertEqual(missing.code, 4, "S11 is a fatal stop: \(missing.stderr)")
        XCTAssert(missing.stderr.contains("expected \"val_loss\", found \"loss\""), missing.stderr)
        XCTAssertEqual(try journal("no-objective").sessions().last?.stopReason, .fatal)
        let help = try tuner("search", "--help")
        XCTAssert(help.stdout.contains("5 the search ended but no trial"), help.stdout)
    }

    func testATrialDirectoryThatCannotBeWrittenIsTheSearchesErrorNotAFailedAttempt() throws {
        let study = try commandStudy("unwritable", #""echo '{\"val_loss\": 1}' > \"$TUNER_METRICS_FILE\"""#)
        try FileManager.default.createDirectory(
            atPath: scratch.file(".tuner/unwritable"), withIntermediateDirectories: true)
        try Data("in the way".utf8).write(to: URL(fileURLWithPath: scratch.file(".tuner/unwritable/trials")))
        let run = try tuner("search", study, "--verbose", "0")
        XCTAssertEqual(run.code, 1, run.stderr)
        XCTAssert(run.stderr.contains("cannot write the trial's files"), run.stderr)
        let first = try journal("unwritable")
        XCTAssertEqual(try first.sessions().last?.stopReason, .error)
        XCTAssertEqual(try first.attempts().filter(\.counted).count, 0, "no attempt counted")
        XCTAssertEqual(try first.trials().map(\.status.rawValue), ["STOPPED"])
        XCTAssertEqual(try JournalInvariants.violations(in: first), [])
        try FileManager.default.removeItem(atPath: scratch.file(".tuner/unwritable/trials"))
        XCTAssertEqual(try tuner("search", study, "--verbose", "0").code, 0)
        XCTAssertEqual(try table("unwritable"), ["0000 COMPLETED 1", "0001 COMPLETED 1", "0002 COMPLETED 1"])
    }

    func testReadersShowAStudyFilesErrorWithItsPlace() throws {
        let bad = try write("bad.yaml", "study: s\nobjective: val_loss\ntunner: grid\n")
        for command in ["status", "summary", "export"] {
            let run = try tuner(command, bad)
            XCTAssertEqual(run.code, 1, "\(command): \(run.stderr)")
            XCTAssert(run.stderr.contains("bad.yaml:3:1"), "\(command): \(run.stderr)")
            XCTAssert(run.stderr.contains("did you mean 'tuner'?"), "\(command): \(run.stderr)")
        }
    }

    func testAnUnwritableCheckpointFolderIsTheSearchesErrorForBuiltInTrialsToo() throws {
        let study = try String(contentsOfFile: fixture("iris-hyperband.yaml"), encoding: .utf8)
            .replacingOccurrences(
                of: "../data/iris.csv", with: Self.root.appendingPathComponent("Fixtures/data/iris.csv").path)
        let path = try write("hb.yaml", study)
        let name = try StudyFile.load(path).name
        try FileManager.default.createDirectory(
            atPath: scratch.file(".tuner/\(name)"), withIntermediateDirectories: true)
        try Data("in the way".utf8).write(to: URL(fileURLWithPath: scratch.file(".tuner/\(name)/trials")))
        let run = try tuner("search", path, "--verbose", "0")
        XCTAssertEqual(run.code, 1, run.stderr)
        XCTAssert(run.stderr.contains("cannot write the trial's files"), run.stderr)
        let journal = try journal(name)
        XCTAssertEqual(
            try journal.attempts().filter(\.counted).count, 0,
            "a checkpoint that cannot be written is not the trial's failure")
        XCTAssertEqual(try journal.sessions().last?.stopReason, .error)
    }

    func shell(_ script: String) throws -> Int32 {
        try ChildProcess.run("/bin/bash", ["-c", script], in: scratch.path, stdout: .discard, stderr: .discard).code
    }

    func testAClosedPipeStopsTheSearchGracefully() throws {
        let study = try commandStudy(
            "piped", #""sleep 0.05; echo '{\"val_loss\": 1}' > \"$TUNER_METRICS_FILE\"""#,
            values: "[" + (1...60).map(String.init).joined(separator: ", ") + "]")
        // `head` leaves after the first line; the search's next line meets a closed pipe.
        let code = try shell("set -o pipefail; '\(Self.binary)' search '\(study)' | head -n 1")
        XCTAssertEqual(code, 141, "128 + SIGPIPE")
        let journal = try journal("piped")
        XCTAssertEqual(try journal.sessions().last?.stopReason, .interrupted)
        XCTAssertEqual(try journal.sessions().last?.message, "stopped by SIGPIPE")
        XCTAssertEqual(try JournalInvariants.violations(in: journal), [])
        XCTAssertLessThan(try journal.trials().count, 60)
    }

    func testAClosedStandardOutputNeverSendsLinesIntoTheLockFile() throws {
        let study = try commandStudy("closed-out", #""echo '{\"val_loss\": 1}' > \"$TUNER_METRICS_FILE\"""#)
        XCTAssertEqual(try shell("exec 1>&-; '\(Self.binary)' search '\(study)'"), 0)
        let lock = try String(contentsOfFile: scratch.file(".tuner/closed-out/journal.sqlite.lock"), encoding: .utf8)
        XCTAssertFalse(lock.contains("Search:"), lock)
        XCTAssert(lock.hasPrefix("process "), lock)
        XCTAssertEqual(try table("closed-out").count, 3)
    }

    func processes(_ marker: String) throws -> [String] {
        // "[m]arker" matches the trial's processes but not pgrep's own shell.
        try shellOutput("pgrep -f '[\(marker.prefix(1))]\(marker.dropFirst())' || true")
            .split(separator: "\n").map(String.init)
    }

    func testNoTrialProcessOutlivesItsAttempt() throws {
        let marker = "bg\(UUID().uuidString.prefix(8))"
        let command =
            "\"setsid sh -c 'sleep 300 # \(marker)' > /dev/null 2>&1 & sh -c 'sleep 300 # \(marker)' > /dev/null " +
                "2>&1 & echo '{\\\"val_loss\\\": 1}' > \\\"$TUNER_METRICS_FILE\\\"\""
        let run = try tuner("search", try commandStudy("leaky", command), "--verbose", "0")
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertEqual(try processes(marker), [], "background and setsid children were ended with their attempt")
    }

    func testAResumeAfterSIGKILLNeverRunsASecondCopyBesideTheFirst() throws {
        let marker = "kill\(UUID().uuidString.prefix(8))"
        let path = try write(
            "killed.yaml",
            """
            study: killed
            tuner: grid
            objective: val_loss
            search_space: [{name: x, type: choice, values: [1]}]
            trial: {command: "sleep 60 # \(marker)", timeout: 120}
            """)
        func waitForAttempt(_ number: Int) throws {
            let file = scratch.file(".tuner/killed/trials/trial_0000/attempt_\(number).pid")
            XCTAssert(waitUntil { FileManager.default.fileExists(atPath: file) }, "attempt \(number) started")
            XCTAssert(try waitUntil(timeout: 5) { try !processes(marker).isEmpty }, "attempt \(number)'s command runs")
        }
        let (first, _, _) = try start(["search", path, "--verbose", "0"])
        try waitForAttempt(1)
        XCTAssertEqual(try processes(marker).count, 1, "the trial runs")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        // The watchdog ends the trial of a search killed outright, resumed or not.
        XCTAssert(try waitUntil(timeout: 5) { try processes(marker).isEmpty }, "no trial outlives a SIGKILLed search")
        // Were the watchdog gone too, the next run ends what the killed one left before it runs anything.
        let leftover = try start(["search", path, "--verbose", "0"])
        try waitForAttempt(2)
        let watchdogs = try shellOutput("pgrep -f '[T]UNER_ATTEMPT_TOKEN=' || true").split(separator: "\n")
        for pid in watchdogs { kill(pid_t(String(pid)) ?? 0, SIGKILL) }
        kill(leftover.0.processIdentifier, SIGKILL)
        leftover.0.waitUntilExit()
        XCTAssertEqual(try processes(marker).count, 1, "with its watchdog killed too, the trial is left running")
        let (second, _, _) = try start(["search", path, "--verbose", "0"])
        try waitForAttempt(3)
        XCTAssertEqual(try processes(marker).count, 1, "the resume ended the first copy before it ran the second")
        kill(second.processIdentifier, SIGINT)
        second.waitUntilExit()
        XCTAssertEqual(second.terminationStatus, 130)
        XCTAssert(try waitUntil(timeout: 5) { try processes(marker).isEmpty }, "the stop ended the trial")
    }

    func testStatusNeverTakesTheWritersLock() throws {
        let path = try commandStudy("watched", #""sleep 30""#)
        let (search, _, _) = try start(["search", path, "--verbose", "0"])
        let deadline = Date().addingTimeInterval(20)
        while (try? journal("watched").attempts().isEmpty) ?? true, Date() < deadline { usleep(20_000) }
        let running = try tuner("status", ".tuner/watched")
        XCTAssert(running.stdout.contains("running, process \(search.processIdentifier)"), running.stdout)
        kill(search.processIdentifier, SIGKILL)
        search.waitUntilExit()
        // The writer is dead: while status runs again and again, a new writer always gets the lock.
        let lockPath = scratch.file(".tuner/watched/journal.sqlite.lock")
        let binary = Self.binary, folder = scratch.path
        let statuses = Thread {
            for _ in 0..<20 {
                _ = try? ChildProcess.run(
                    binary, ["status", ".tuner/watched"], in: folder, stdout: .discard, stderr: .inherit)
            }
        }
        statuses.start()
        var refused = 0
        while !statuses.isFinished {
            if (try? StudyLock(path: lockPath)) == nil { refused += 1 }
        }
        XCTAssertEqual(refused, 0, "status took the lock \(refused) times")
        let dead = try tuner("status", ".tuner/watched")
        XCTAssert(dead.stdout.contains("died"), dead.stdout)
    }
}

extension CommandLineTests {
    /// The command's own stop path (it exits from the signal's thread once the stop is
    /// journaled): built-in trials of a millisecond, SIGINT or SIGTERM at random instants.
    func testTheCommandStopsInOrderOnASignalAtAnyInstant() throws {
        let path = try write(
            "fast.yaml",
            """
            study: fast
            tuner: grid
            objective: val_loss
            search_space: [{name: units, type: int, min: 1, max: 2000}]
            trial:
              model: {layers: [{units: $units}, {units: 1}], loss: mean_squared_error}
              fit: {epochs: 1, batch_size: 8}
              data: {random: {rows: 8, features: 2}, validation_random: {rows: 4}}
            """)
        var rng = SplitMix64(seed: 130)
        for round in 0..<10 {
            try? FileManager.default.removeItem(atPath: scratch.file(".tuner/fast"))
            let (process, _, _) = try start(["search", path, "--verbose", "0"])
            // Once the search runs (its first trial journaled), a random instant among trials a millisecond long.
            let deadline = Date().addingTimeInterval(20)
            while ((try? journal("fast").trials().isEmpty) ?? true) && Date() < deadline { usleep(2_000) }
            usleep(UInt32(rng.nextInt(below: 150_000)))
            let signal = round % 2 == 0 ? SIGINT : SIGTERM
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 128 + signal, "round \(round)")
            let journal = try journal("fast")
            XCTAssertEqual(try JournalInvariants.violations(in: journal), [], "round \(round)")
            XCTAssertEqual(try journal.sessions().last?.stopReason, .interrupted, "round \(round)")
            XCTAssertEqual(try journal.attempts().filter { $0.outcome == nil }.count, 0, "round \(round)")
            XCTAssertFalse(
                FileManager.default.fileExists(atPath: scratch.file(".tuner/fast/journal.sqlite-wal")),
                "an interrupted session ends with the journal in one file too")
        }
    }
}
