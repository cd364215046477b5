import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerTestSupport
import XCTest

/// S24 (crash equivalence), S26 (one writer, dead locks taken over) and signals, with real
/// child processes killed at random instants.
final class CrashEquivalenceTests: XCTestCase {
    /// The worker executable, built beside the test bundle.
    static var worker: String { ChildProcess.executable("TunerCrashWorker") }

    func start(_ arguments: [String]) throws -> SpawnedProcess {
        try SpawnedProcess(Self.worker, arguments)
    }

    func journalPath(_ directory: TemporaryDirectory) -> String {
        Tuner.journalPath(directory: directory.path, projectName: "crash")
    }

    /// Kills a worker `kills` times at random instants, checks the journal after each kill,
    /// resumes to the end, and compares with an uninterrupted run.
    ///
    /// Each attempt sleeps `attemptMicroseconds`: long enough, against the time the tuner
    /// spends proposing, that most kills land during an attempt.
    func crashEquivalence(tuner: String, seed: UInt64, trials: Int, kills: Int, attemptMicroseconds: Int = 4000) throws
    {
        let reference = TemporaryDirectory()
        let reach = try start([reference.path, tuner, "\(seed)", "\(trials)", "0"])
        reach.waitUntilExit()
        XCTAssertEqual(reach.terminationStatus, 0)

        let crashed = TemporaryDirectory()
        var rng = SplitMix64(seed: seed &+ 1)
        var killed = 0
        for _ in 0..<kills {
            let process = try start([crashed.path, tuner, "\(seed)", "\(trials)", "\(attemptMicroseconds)"])
            usleep(UInt32(30_000 + rng.nextInt(below: 120_000)))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
            // After every kill the journal opens, passes its checks and is at a state boundary.
            if FileManager.default.fileExists(atPath: journalPath(crashed)) {
                let journal: StudyJournal
                do {
                    journal = try StudyJournal.openForReading(at: journalPath(crashed))
                } catch let error as JournalError where error.kind == .missing {
                    continue  // killed while creating the journal: the next run starts it anew
                }
                let trials = try journal.trials()
                let attempts = try journal.attempts()
                XCTAssertEqual(trials.map(\.number), Array(0..<trials.count), "no gap, no duplicate")
                for trial in trials {
                    XCTAssertFalse(
                        attempts.filter { $0.trial == trial.number }.isEmpty, "trial \(trial.trialID) has its attempt")
                }
                XCTAssertLessThanOrEqual(attempts.filter { $0.outcome == nil }.count, 1, "at most one open attempt")
                XCTAssertEqual(try journal.derivedStreak(), try journal.study().streak)
                XCTAssertEqual(try JournalInvariants.violations(in: journal), [])
            }
        }
        let finish = try start([crashed.path, tuner, "\(seed)", "\(trials)", "0"])
        finish.waitUntilExit()
        XCTAssertEqual(finish.terminationStatus, 0)

        let expected = try summaries(StudyJournal.openForReading(at: journalPath(reference)))
        let actual = try summaries(StudyJournal.openForReading(at: journalPath(crashed)))
        XCTAssertEqual(actual.count, expected.count)
        for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e) }
        let journal = try StudyJournal.openForReading(at: journalPath(crashed))
        let interrupted = try journal.attempts().filter { $0.outcome == .interrupted }
        XCTAssertGreaterThan(killed, kills / 2, "most kills landed during the search")
        XCTAssertGreaterThan(interrupted.count, 0, "kills interrupted attempts")
        // A kill can land before the session starts (while the process opens the journal).
        let interruptedSessions = try journal.sessions().filter { $0.stopReason == .interrupted }.count
        XCTAssertLessThanOrEqual(interruptedSessions, killed)
        XCTAssertGreaterThan(interruptedSessions, 0)
        let duringRetries = interrupted.filter { attempt in
            try! journal.attempts(ofTrial: attempt.trial).contains { $0.number < attempt.number && $0.counted }
        }.count
        print(
            "crash equivalence (\(tuner)): \(killed) kills, \(interrupted.count) interrupted attempts " +
                "(\(duringRetries) during retries), \(actual.count) trials equal"
        )
    }

    /// Kills per test: 12 in CI; `.ci/crash-soak` sets SWIFTTUNER_SOAK_KILLS for a long soak.
    var kills: Int { ProcessInfo.processInfo.environment["SWIFTTUNER_SOAK_KILLS"].flatMap(Int.init) ?? 12 }

    /// Trials per test, enough work that every kill lands during the search.
    var trials: Int { max(150, kills * 12) }

    func testS24GridSearchKilledAtRandomEqualsAnUninterruptedRun() throws {
        try crashEquivalence(tuner: "grid", seed: 3, trials: trials, kills: kills)
    }

    func testS24RandomSearchKilledAtRandomEqualsAnUninterruptedRun() throws {
        try crashEquivalence(tuner: "random", seed: 4, trials: trials, kills: kills)
    }

    func testS24BayesianOptimizationKilledAtRandomEqualsAnUninterruptedRun() throws {
        // A proposal fits a Gaussian process (milliseconds in a debug build): longer attempts.
        // Its 30 trials bound the work (about 35 kills' worth): a soak's kills are capped, as
        // Hyperband's are, so that most land during the search.
        try crashEquivalence(
            tuner: "bayesian", seed: 5, trials: 30, kills: max(6, min(kills / 2, 24)), attemptMicroseconds: 20_000)
    }

    func testS24HyperbandKilledAtRandomEqualsAnUninterruptedRun() throws {
        // Hyperband's brackets bound its work (about a second): a soak's many kills would mostly
        // land after the search ended, so its kills are capped.
        try crashEquivalence(tuner: "hyperband", seed: 6, trials: 60, kills: max(6, min(kills / 2, 12)))
    }

    func waitForAttempt(_ path: String, timeout: Double = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path),
                let journal = try? StudyJournal.openForReading(at: path),
                let attempts = try? journal.attempts(), !attempts.isEmpty
            {
                return
            }
            usleep(20_000)
        }
        XCTFail("the worker never started a trial")
    }

    func testS26ALiveWriterIsNamedAndADeadOnesLockIsTakenOver() throws {
        let directory = TemporaryDirectory()
        let process = try start([directory.path, "random", "9", "100000", "200000"])
        try waitForAttempt(journalPath(directory))
        XCTAssertThrowsError(
            try Tuner(
                oracle: RandomSearchOracle(), objective: "val_loss",
                hyperparameters: FlakyWorkload.space(),
                configuration: TunerConfiguration(directory: directory.path, projectName: "crash"),
                output: CapturedOutput())
        ) { error in
            XCTAssertEqual((error as? JournalError)?.kind, .locked)
            XCTAssert("\(error)".contains("process \(process.processIdentifier) on host"), "\(error)")
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let tuner = try Tuner(
            oracle: RandomSearchOracle(), objective: "val_loss",
            hyperparameters: FlakyWorkload.space(),
            configuration: TunerConfiguration(directory: directory.path, projectName: "crash", maxTrials: 1),
            output: CapturedOutput())
        tuner.handlesSignals = false
        try tuner.search(FlakyWorkload(errorRate: 0, failedRate: 0, nanRate: 0).run)
        let sessions = try tuner.journal.sessions()
        XCTAssertEqual(sessions.first?.stopReason, .interrupted)
        XCTAssertEqual(sessions.first?.pid, Int(process.processIdentifier))
    }

    func testSIGINTJournalsTheRunningAttemptAndExits130() throws {
        for (signal, code) in [(SIGINT, 130), (SIGTERM, 143)] {
            let directory = TemporaryDirectory()
            let process = try start([directory.path, "random", "9", "100000", "300000"])
            try waitForAttempt(journalPath(directory))
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, Int32(code))
            let journal = try StudyJournal.openForReading(at: journalPath(directory))
            let session = try XCTUnwrap(try journal.sessions().last)
            XCTAssertEqual(session.stopReason, .interrupted)
            XCTAssertNotNil(session.endedAt)
            let open = try journal.attempts().filter { $0.outcome == .interrupted }
            XCTAssertEqual(open.count, 1)
            XCTAssertEqual(open.first?.graceful, true)
            XCTAssertFalse(open.first?.counted ?? true)
            XCTAssertEqual(try journal.trial(open.first!.trial)?.status, .stopped)
            XCTAssertEqual(try journal.deathCounts().count, 0, "a graceful stop is not a death (S7)")
        }
    }
}
