import Foundation
import TunerCore
import TunerJournal
import TunerTestSupport
import XCTest

/// `tuner search --workers N` and `tuner worker`, end to end (section 9).
extension CommandLineTests {
    func sharedJournal(_ name: String) throws -> StudyJournal {
        try StudyJournal.openForReading(at: scratch.file(".tuner/\(name)/journal.sqlite"))
    }

    func rows(_ journal: StudyJournal) throws -> [String] {
        let attempts = try journal.attempts()
        return try journal.trials().map { trial in
            "\(trial.trialID) \(trial.hyperparameters) \(trial.status.rawValue) " +
                "\(trial.score.map { "\($0)" } ?? "-") " +
                "\(attempts.filter { $0.trial == trial.number && $0.counted }.count)"
        }
    }

    func testSearchWithWorkersEndsWithTheTrialsOfOneProcess() throws {
        // Attempt 1 of every third value fails and is retried; the others complete.
        let command =
            #""if [ \"$TUNER_ATTEMPT\" = 1 ] && [ $(({x} % 3)) = 0 ]; then exit 1; fi; "#
                + #"echo '{\"val_loss\": 0.{x}}' > \"$TUNER_METRICS_FILE\"""#
        let values = "[" + (1...24).map(String.init).joined(separator: ", ") + "]"
        let one = try tuner("search", try commandStudy("one", command, values: values), "--verbose", "0")
        XCTAssertEqual(one.code, 0, one.stderr)
        let many = try tuner("search", try commandStudy("many", command, values: values), "--workers", "3")
        XCTAssertEqual(many.code, 0, many.stderr)
        XCTAssert(many.stdout.contains("Search: 3 workers on "), many.stdout)
        XCTAssert(many.stdout.contains("[2] Search: Running Trial #"), "each worker's lines carry its id")
        let journal = try sharedJournal("many")
        XCTAssertEqual(try rows(journal), try rows(try sharedJournal("one")))
        XCTAssertEqual(Set(try journal.sessions().compactMap(\.worker)), ["1", "2", "3"])
        XCTAssertEqual(
            try JournalInvariants.workerViolations(in: journal, distinctConfigurations: true, maxStops: 0), [])
        let status = try tuner("status", scratch.file(".tuner/many"))
        XCTAssert(status.stdout.contains("Workers: 0 running, 3 in all over 3 sessions"), status.stdout)
        // Plain search resumes a finished worker study like any other.
        XCTAssertEqual(try tuner("search", scratch.file("many.yaml"), "--verbose", "0").code, 0)
    }

    func testADeadWorkerIsStartedAgainUnderItsIdAndTakesItsTrialBack() throws {
        let command = #""sleep 0.3; echo '{\"val_loss\": 0.{x}}' > \"$TUNER_METRICS_FILE\"""#
        let values = "[" + (1...12).map(String.init).joined(separator: ", ") + "]"
        let study = try commandStudy("revive", command, values: values)
        let process = try ChildProcess.start(
            Self.binary, ["search", study, "--workers", "2", "--verbose", "0"], in: scratch.path)
        let path = scratch.file(".tuner/revive/journal.sqlite")
        var victim: Int32?
        XCTAssertTrue(
            waitUntil {
                guard let journal = try? StudyJournal.openForReading(at: path), let sessions = try? journal.sessions(),
                    let open = try? journal.attempts().filter({ $0.outcome == nil }),
                    let session = sessions.first(where: { $0.worker == "1" && $0.endedAt == nil }),
                    open.contains(where: { $0.session == session.id })
                else { return false }
                victim = Int32(session.pid)
                return true
            }, "worker 1 runs a trial")
        kill(try XCTUnwrap(victim), SIGKILL)
        XCTAssertTrue(waitUntil(timeout: 60) { !process.isRunning })
        XCTAssertEqual(process.terminationStatus, 0)
        let journal = try StudyJournal.openForReading(at: path)
        let sessions = try journal.sessions().filter { $0.worker == "1" }
        XCTAssertEqual(sessions.count, 2, "worker 1 ran again under its id")
        XCTAssertEqual(sessions.first?.stopReason, .interrupted)
        let interrupted = try journal.attempts().filter { $0.outcome == .interrupted }
        XCTAssertEqual(interrupted.count, 1)
        XCTAssertEqual(try journal.trials().map(\.status), Array(repeating: .completed, count: 12))
        XCTAssertEqual(
            try JournalInvariants.workerViolations(in: journal, distinctConfigurations: true, maxStops: 0), [])
    }

    func testSIGINTStopsEveryWorkerGracefullyAndExits130() throws {
        let command = #""sleep 5; echo '{\"val_loss\": 0.{x}}' > \"$TUNER_METRICS_FILE\"""#
        let study = try commandStudy("interrupt", command, values: "[1, 2, 3, 4, 5, 6]")
        let process = try ChildProcess.start(
            Self.binary, ["search", study, "--workers", "2", "--verbose", "0"], in: scratch.path)
        let path = scratch.file(".tuner/interrupt/journal.sqlite")
        XCTAssertTrue(
            waitUntil {
                ((try? StudyJournal.openForReading(at: path).attempts().filter { $0.outcome == nil }.count) ?? 0) == 2
            }, "both workers run a trial")
        let status = try tuner("status", scratch.file(".tuner/interrupt"))
        XCTAssert(status.stdout.contains("Workers: 2 running (1, 2), 2 in all over 2 sessions"), status.stdout)
        kill(process.processIdentifier, SIGINT)
        XCTAssertTrue(waitUntil(timeout: 30) { !process.isRunning })
        XCTAssertEqual(process.terminationStatus, 130)
        let journal = try StudyJournal.openForReading(at: path)
        XCTAssertEqual(try journal.sessions().map(\.stopReason), [.interrupted, .interrupted])
        XCTAssertEqual(try journal.attempts().filter { $0.outcome == .interrupted && $0.graceful }.count, 2)
        XCTAssertEqual(
            try JournalInvariants.workerViolations(in: journal, distinctConfigurations: true, maxStops: 0), [])
    }

    func testAWorkerTakesItsIdFromTheSchedulerRefusesOverwriteAndHyperbandRunsWithWorkers() throws {
        let command = #""echo '{\"val_loss\": 0.{x}}' > \"$TUNER_METRICS_FILE\"""#
        let study = try commandStudy("slurm", command)
        let run = try ChildProcess.run(
            Self.binary, ["worker", study, "--verbose", "0"], in: scratch.path,
            environment: ["SLURM_ARRAY_TASK_ID": "7"])
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertEqual(try sharedJournal("slurm").sessions().map(\.worker), ["slurm-7"])
        let indexed = try ChildProcess.run(
            Self.binary, ["worker", study, "--verbose", "0"], in: scratch.path,
            environment: ["JOB_COMPLETION_INDEX": "3"])
        XCTAssertEqual(indexed.code, 0, indexed.stderr)
        XCTAssertEqual(try sharedJournal("slurm").sessions().last?.worker, "k8s-3")
        let overwrite = try tuner(
            "worker", try commandStudy("wipe", command, extra: "overwrite: true"), "--worker-id", "a")
        XCTAssertEqual(overwrite.code, 1)
        XCTAssert(overwrite.stderr.contains("a worker cannot overwrite a study"), overwrite.stderr)
        let hyperband = try tuner("search", fixture("iris-hyperband.yaml"), "--workers", "2", "--verbose", "0")
        XCTAssertEqual(hyperband.code, 0, hyperband.stderr)
        let verified = try tuner("verify", fixture("iris-hyperband.yaml"))
        XCTAssertEqual(verified.code, 0, verified.stdout + verified.stderr)
        XCTAssert(verified.stdout.contains("each re-derives from the journal"), verified.stdout)
    }

    /// A worker that joins while the workers a stop ended are still winding down stops at once;
    /// one that joins after they all ended resumes the study, as a plain search would (S19).
    func testAWorkerJoiningAStoppedStudyStopsUnlessTheStoppedWorkersAllEnded() throws {
        let command =
            #""if [ {x} = 1 ]; then sleep 0.5; exit 3; fi; sleep 3; "#
                + #"echo '{\"val_loss\": 0.{x}}' > \"$TUNER_METRICS_FILE\"""#
        let study = try commandStudy(
            "late", command, extra: "max_consecutive_failed_trials: 1\n  ",
            values: "[1, 2, 3, 4]")
        try String(contentsOfFile: study, encoding: .utf8)
            .replacingOccurrences(of: "max_consecutive_failed_trials: none\n", with: "")
            .replacingOccurrences(of: "timeout: 2", with: "timeout: 10\n  exit_codes: {failed: 3}")
            .write(toFile: study, atomically: true, encoding: .utf8)
        let path = scratch.file(".tuner/late/journal.sqlite")
        func journal() -> StudyJournal? { try? StudyJournal.openForReading(at: path) }
        let first = try ChildProcess.start(
            Self.binary, ["worker", study, "--worker-id", "a", "--verbose", "0"], in: scratch.path)
        XCTAssertTrue(waitUntil { (try? journal()?.trials().count) == 1 })
        let second = try ChildProcess.start(
            Self.binary, ["worker", study, "--worker-id", "b", "--verbose", "0"], in: scratch.path)
        XCTAssertTrue(waitUntil { (try? journal()?.stops().count) == 1 }, "trial 0000 fails and stops the search")
        XCTAssertTrue(second.isRunning, "b still runs trial 0001")
        let late = try ChildProcess.run(
            Self.binary, ["worker", study, "--worker-id", "c", "--verbose", "0"], in: scratch.path)
        XCTAssertEqual(late.code, 3, late.stderr)
        let sessions = try XCTUnwrap(journal()).sessions()
        XCTAssertEqual(sessions.first { $0.worker == "c" }?.stopReason, .consecutiveFailures)
        XCTAssertEqual(try XCTUnwrap(journal()).trials().count, 2, "c created no trial")
        for process in [first, second] {
            XCTAssertTrue(waitUntil(timeout: 30) { !process.isRunning })
            XCTAssertEqual(process.terminationStatus, 3)
        }
        let resumed = try ChildProcess.run(
            Self.binary, ["worker", study, "--worker-id", "d", "--verbose", "0"], in: scratch.path)
        XCTAssertEqual(resumed.code, 0, resumed.stderr)
        XCTAssertEqual(
            try XCTUnwrap(journal()).trials().count, 4, "d resumed the study after the stopped workers ended")
        XCTAssertEqual(
            try JournalInvariants.workerViolations(in: XCTUnwrap(journal()), distinctConfigurations: true), [])
    }
}
