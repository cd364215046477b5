import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerTestSupport
import XCTest

/// Section 9: many worker processes on one SQLite journal, killed, paused and stopped at random,
/// checked against the invariants and against an uninterrupted run of one process.
final class WorkerTests: XCTestCase {
    static var worker: String { ChildProcess.executable("TunerCrashWorker") }

    func journalPath(_ directory: TemporaryDirectory) -> String {
        Tuner.journalPath(directory: directory.path, projectName: "crash")
    }

    /// A worker process: `TunerCrashWorker DIR TUNER SEED TRIALS SLEEP full LIMIT ID`.
    func startWorker(
        _ directory: TemporaryDirectory, _ tuner: String, seed: UInt64, trials: Int, sleep: Int,
        limit: Int? = nil, id: String
    ) throws -> Process {
        try ChildProcess.start(
            Self.worker,
            [
                directory.path, tuner, "\(seed)", "\(trials)", "\(sleep)", "full",
                limit.map(String.init) ?? "none", id,
            ])
    }

    /// Kills per test: 100 (`SWIFTTUNER_SOAK_KILLS` sets another number).
    var kills: Int { ProcessInfo.processInfo.environment["SWIFTTUNER_SOAK_KILLS"].flatMap(Int.init) ?? 100 }

    /// Starts `workers` workers, SIGKILLs one at random every `pause` (a base and a random part,
    /// in microseconds) up to `kills` times, restarting it under its id, and waits for them all
    /// to end with 0. With `checkConfigurations`, checks the journal after every kill. Returns
    /// the kills that landed.
    func runKilledAtRandom(
        _ shared: TemporaryDirectory, _ tuner: String, seed: UInt64, trials: Int, sleep: Int,
        workers: Int, kills: Int, rngSeed: UInt64, pause: (base: Int, spread: Int),
        checkConfigurations: Bool?
    ) throws -> Int {
        var running = try (1...workers).map {
            try startWorker(shared, tuner, seed: seed, trials: trials, sleep: sleep, id: "w\($0)")
        }
        var rng = SplitMix64(seed: rngSeed)
        var killed = 0
        for _ in 0..<(3 * kills) where killed < kills && running.contains(where: \.isRunning) {
            usleep(UInt32(pause.base + rng.nextInt(below: pause.spread)))
            let index = rng.nextInt(below: workers)
            guard running[index].isRunning else { continue }
            kill(running[index].processIdentifier, SIGKILL)
            running[index].waitUntilExit()
            killed += 1
            if let distinct = checkConfigurations,
                let journal = try? StudyJournal.openForReading(at: journalPath(shared))
            {
                XCTAssertEqual(
                    try JournalInvariants.workerViolations(in: journal, distinctConfigurations: distinct, maxStops: 0),
                    [])
            }
            running[index] = try startWorker(
                shared, tuner, seed: seed, trials: trials, sleep: sleep, id: "w\(index + 1)")
        }
        for process in running {
            XCTAssertTrue(waitUntil(timeout: 120) { !process.isRunning }, "every worker ends by itself")
            XCTAssertEqual(process.terminationStatus, 0)
        }
        return killed
    }

    /// N workers, `kills` of them SIGKILLed at random instants and restarted under their ids,
    /// end with the trials of one uninterrupted process (section 9, S24).
    func workersKilledAtRandom(
        tuner: String, seed: UInt64, workers: Int, kills: Int, trials: Int,
        sleep: Int = 3000
    ) throws {
        let reference = TemporaryDirectory()
        let solo = try ChildProcess.start(Self.worker, [reference.path, tuner, "\(seed)", "\(trials)", "0"])
        solo.waitUntilExit()
        XCTAssertEqual(solo.terminationStatus, 0)

        let shared = TemporaryDirectory()
        let killed = try runKilledAtRandom(
            shared, tuner, seed: seed, trials: trials, sleep: sleep, workers: workers,
            kills: kills, rngSeed: seed &+ 11, pause: (10_000, 50_000),
            checkConfigurations: true)
        let journal = try StudyJournal.openForReading(at: journalPath(shared))
        XCTAssertEqual(
            try JournalInvariants.workerViolations(in: journal, distinctConfigurations: true, maxStops: 0), [])
        let expected = try summaries(StudyJournal.openForReading(at: journalPath(reference)))
        let actual = try summaries(journal)
        XCTAssertEqual(actual.count, expected.count)
        for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e) }
        let oracle: any Oracle = tuner == "grid" ? GridSearchOracle() : RandomSearchOracle()
        XCTAssertEqual(try ProposalVerifier(oracle: oracle).verify(journal).mismatches, [])
        let sessions = try journal.sessions()
        XCTAssertEqual(Set(sessions.compactMap(\.worker)), Set((1...workers).map { "w\($0)" }))
        XCTAssertTrue(sessions.allSatisfy { $0.endedAt != nil }, "every session ended")
        let interrupted = try journal.attempts().filter { $0.outcome == .interrupted }.count
        XCTAssertEqual(killed, kills, "every kill landed during the search")
        XCTAssertGreaterThan(interrupted, 0, "kills interrupted attempts")
        print(
            "workers (\(tuner), \(workers)): \(killed) kills, \(interrupted) interrupted attempts, \(actual.count) " +
                "trials equal to one process's"
        )
    }

    func testGridSearchWorkersKilledAtRandomEndWithOneProcessTrials() throws {
        // The grid has 1,056 configurations: attempts long enough that every kill lands before
        // the search is done.
        try workersKilledAtRandom(
            tuner: "grid", seed: 21, workers: 3, kills: kills, trials: max(150, kills * 15),
            sleep: 40_000)
    }

    func testRandomSearchWorkersKilledAtRandomEndWithOneProcessTrials() throws {
        try workersKilledAtRandom(
            tuner: "random", seed: 22, workers: 3, kills: kills, trials: max(150, kills * 15),
            sleep: 30_000)
    }

    /// Bayesian proposals depend on results, so many workers end with other trials than one
    /// process; each proposal still re-derives from the journal with its basis, kills included.
    func testBayesianWorkersKilledAtRandomReDeriveEveryProposal() throws {
        let shared = TemporaryDirectory()
        let oracle = BayesianOptimizationOracle(numInitialPoints: 5, candidates: 200)
        let killed = try runKilledAtRandom(
            shared, "bayesian", seed: 23, trials: 50, sleep: 80_000, workers: 3, kills: 20,
            rngSeed: 23, pause: (30_000, 120_000), checkConfigurations: nil)
        let journal = try StudyJournal.openForReading(at: journalPath(shared))
        XCTAssertEqual(
            try JournalInvariants.workerViolations(in: journal, distinctConfigurations: true, maxStops: 0), [])
        XCTAssertEqual(try journal.trials().count, 50)
        let report = try ProposalVerifier(oracle: oracle).verify(journal)
        XCTAssertEqual(report.checked, 50)
        XCTAssertEqual(report.mismatches, [])
        let bases = try journal.proposalBases()
        XCTAssert(bases.contains { $0.value < $0.key }, "some trials were proposed while others ran")
        XCTAssertGreaterThanOrEqual(killed, 10)

        // A configuration edited into the journal no longer re-derives.
        try ForeignEdit.execute(
            journalPath(shared),
            "UPDATE trial SET hyperparameters = (SELECT hyperparameters FROM trial WHERE number = 3) WHERE number = 30")
        let tampered = try ProposalVerifier(oracle: oracle).verify(StudyJournal.openForReading(at: journalPath(shared)))
        XCTAssertEqual(tampered.mismatches.map(\.trial).first, 30)
    }

    /// The streak is kept across workers in end order, and the stop it triggers is journaled
    /// once, in the transaction that ended the trial that reached the limit; every other
    /// worker stops claiming and ends with the same reason; trials already running finish
    /// without a second stop (S15–S18, section 9).
    func testTheStreakIsExactAcrossWorkersAndItsStopEndsThemAll() throws {
        let shared = TemporaryDirectory()
        let limit = 4
        let workers = try (1...3).map {
            try startWorker(shared, "random", seed: 31, trials: 400, sleep: 2000, limit: limit, id: "w\($0)")
        }
        for process in workers {
            XCTAssertTrue(waitUntil(timeout: 60) { !process.isRunning })
            XCTAssertEqual(process.terminationStatus, 0, "the crash worker exits 0 on a journaled stop")
        }
        let journal = try StudyJournal.openForReading(at: journalPath(shared))
        XCTAssertEqual(try JournalInvariants.workerViolations(in: journal, distinctConfigurations: true), [])
        let stop = try journal.stops()
        XCTAssertEqual(stop.count, 1)
        let trials = try journal.trials()
        let ended = trials.filter { $0.endSeq != nil }.sorted { $0.endSeq! < $1.endSeq! }
        var streak = 0
        var trigger: TrialRecord?
        for trial in ended {
            streak = trial.status == .failed ? streak + 1 : 0
            if streak >= limit { trigger = trial; break }
        }
        let triggering = try XCTUnwrap(trigger, "the workload fails often enough to reach the limit")
        let lastAttempt = try XCTUnwrap(journal.attempts(ofTrial: triggering.number).last)
        XCTAssertEqual(stop.session, lastAttempt.session, "the worker that ended the trigger journaled the stop")
        let after = ended.filter { $0.endSeq! > triggering.endSeq! }
        XCTAssertLessThanOrEqual(
            after.count, 2, "only trials already running on the other two workers end after the stop")
        let sessions = try journal.sessions()
        XCTAssertEqual(sessions.count, 3)
        for session in sessions {
            XCTAssertEqual(
                session.stopReason, .consecutiveFailures,
                "session \(session.id ?? 0) of worker \(session.worker ?? "?")")
        }
        XCTAssertEqual(try journal.study().streak, try journal.derivedStreak())
    }

    /// A paused worker (SIGSTOP) is alive on one host: its lock is held, so no other worker
    /// takes its trial; the others wait for it at the end, and it finishes once continued.
    /// It is paused while its trial runs (a worker paused inside a write holds the journal,
    /// as any SQLite writer does, until it is continued).
    func testAPausedWorkerKeepsItsTrialAndFinishesItWhenContinued() throws {
        let shared = TemporaryDirectory()
        let path = journalPath(shared)
        let first = try startWorker(shared, "grid", seed: 41, trials: 12, sleep: 300_000, id: "w1")
        XCTAssertTrue(waitUntil { (try? StudyJournal.openForReading(at: path).attempts().count) ?? 0 >= 1 })
        usleep(100_000)
        kill(first.processIdentifier, SIGSTOP)
        let paused = try XCTUnwrap(StudyJournal.openForReading(at: path).trials().first { $0.status == .running })
        let second = try startWorker(shared, "grid", seed: 41, trials: 12, sleep: 1000, id: "w2")
        XCTAssertTrue(
            waitUntil(timeout: 60) {
                guard let trials = try? StudyJournal.openForReading(at: path).trials() else { return false }
                return trials.count == 12 && trials.filter { $0.status == .running }.map(\.number) == [paused.number]
                    && trials.filter { $0.status == .completed || $0.status == .failed }.count == 11
            }, "the second worker runs every other trial and waits for the paused one")
        XCTAssertTrue(second.isRunning, "it waits for the paused worker's trial rather than ending")
        kill(first.processIdentifier, SIGCONT)
        for process in [first, second] {
            XCTAssertTrue(waitUntil(timeout: 60) { !process.isRunning })
            XCTAssertEqual(process.terminationStatus, 0)
        }
        let journal = try StudyJournal.openForReading(at: path)
        XCTAssertEqual(
            try JournalInvariants.workerViolations(in: journal, distinctConfigurations: true, maxStops: 0), [])
        XCTAssertEqual(try journal.attempts().filter { $0.outcome == .interrupted }.count, 0, "nobody was found dead")
        XCTAssertEqual(try journal.lateResults(), [])
    }

    /// A result that comes after its attempt was closed by another worker is refused (fenced):
    /// it is kept as a late result and the trial is left as the closing worker left it.
    func testALateResultIsFencedAndKeptForDiagnosis() throws {
        let shared = TemporaryDirectory()
        let worker = try startWorker(shared, "grid", seed: 42, trials: 3, sleep: 400_000, id: "w1")
        let path = journalPath(shared)
        XCTAssertTrue(waitUntil { (try? StudyJournal.openForReading(at: path).attempts().count) ?? 0 >= 1 })
        // What a worker that judged w1 dead does: close its attempt and stop its trial.
        try ForeignEdit.execute(
            path,
            """
            UPDATE attempt SET outcome = 'interrupted', counted = 0, endedAt = startedAt, duration = 0 WHERE outcome \
            IS NULL;
            UPDATE trial SET status = 'STOPPED' WHERE status = 'RUNNING';
            """)
        XCTAssertTrue(waitUntil(timeout: 60) { !worker.isRunning })
        XCTAssertEqual(worker.terminationStatus, 0)
        let journal = try StudyJournal.openForReading(at: path)
        let late = try journal.lateResults()
        XCTAssertEqual(late.count, 1)
        let fenced = try XCTUnwrap(journal.attempts().first { $0.id == late.first?.attempt })
        XCTAssertEqual(fenced.outcome, .interrupted, "the late result did not overwrite the closed attempt")
        XCTAssertEqual(try journal.attempts(ofTrial: fenced.trial).count, 2, "the trial ran again")
        XCTAssertEqual(
            try JournalInvariants.workerViolations(in: journal, distinctConfigurations: true, maxStops: 0), [])
    }

    /// One writer or many workers, never both (S26, section 9); one process per worker id.
    func testAPlainSearchAndWorkersExcludeEachOtherAndIdsAreUnique() throws {
        let shared = TemporaryDirectory()
        let worker = try startWorker(shared, "grid", seed: 43, trials: 30, sleep: 100_000, id: "w1")
        defer { kill(worker.processIdentifier, SIGKILL); worker.waitUntilExit() }
        let path = journalPath(shared)
        XCTAssertTrue(waitUntil { (try? StudyJournal.openForReading(at: path).attempts().count) ?? 0 >= 1 })
        let plain = try ChildProcess.run(Self.worker, [shared.path, "grid", "43", "30", "0"])
        XCTAssertEqual(plain.code, 1)
        XCTAssertTrue(plain.stderr.contains("is being searched by 1 worker(s) (\"w1\")"), plain.stderr)
        let twin = try ChildProcess.run(Self.worker, [shared.path, "grid", "43", "30", "0", "full", "none", "w1"])
        XCTAssertEqual(twin.code, 1)
        XCTAssertTrue(twin.stderr.contains("the worker id \"w1\" is already running"), twin.stderr)
        let other = TemporaryDirectory()
        let alone = try ChildProcess.start(Self.worker, [other.path, "grid", "44", "30", "100000"])
        defer { kill(alone.processIdentifier, SIGKILL); alone.waitUntilExit() }
        XCTAssertTrue(
            waitUntil { (try? StudyJournal.openForReading(at: journalPath(other)).attempts().count) ?? 0 >= 1 })
        let joining = try ChildProcess.run(Self.worker, [other.path, "grid", "44", "30", "0", "full", "none", "w9"])
        XCTAssertEqual(joining.code, 1)
        XCTAssertTrue(joining.stderr.contains("Workers join a study that no plain search holds"), joining.stderr)
    }

    /// Hyperband with workers: a promotion waits until every member of its round has ended, so
    /// promotions rank whole rounds as one process does; every proposal re-derives from the
    /// journal, kills included (section 9).
    func testHyperbandWorkersPromoteWholeRoundsAndReDeriveEveryProposal() throws {
        let shared = TemporaryDirectory()
        let oracle = HyperbandOracle(maxEpochs: 27, factor: 3, iterations: 3)
        let killed = try runKilledAtRandom(
            shared, "hyperband", seed: 24, trials: 60, sleep: 60_000, workers: 3, kills: 20,
            rngSeed: 24, pause: (30_000, 120_000), checkConfigurations: nil)
        let journal = try StudyJournal.openForReading(at: journalPath(shared))
        XCTAssertEqual(
            try JournalInvariants.workerViolations(in: journal, distinctConfigurations: false, maxStops: 0), [])
        let report = try ProposalVerifier(oracle: oracle).verify(journal)
        XCTAssertEqual(report.mismatches, [])
        // Every promotion was created after every member of the round it ranks had ended.
        let trials = try journal.trials()
        let values = try trials.map { try $0.values() }
        func key(_ v: [String: HyperParameterValue], _ name: String) -> Int? {
            if case .int(let i) = v[name] { return i }
            return nil
        }
        for (trial, v) in zip(trials, values) where (key(v, "tuner/round") ?? 0) > 0 {
            let bracket = key(v, "tuner/bracket"), round = key(v, "tuner/round") ?? 0
            // The round before is the run of trials of this bracket and round − 1 just before.
            let before = zip(trials, values).filter {
                $0.0.number < trial.number && key($0.1, "tuner/bracket") == bracket
            }
            .reversed().drop { key($0.1, "tuner/round") != round - 1 }.prefix { key($0.1, "tuner/round") == round - 1 }
            XCTAssertFalse(before.isEmpty)
            for (member, _) in before {
                XCTAssertLessThanOrEqual(
                    member.endedAt ?? .infinity, trial.createdAt,
                    "promotion \(trial.trialID) was created before \(member.trialID) of its round ended")
            }
        }
        XCTAssertGreaterThan(
            trials.filter { (key(values[$0.number], "tuner/round") ?? 0) > 0 }.count, 0, "promotions ran")
        XCTAssertGreaterThanOrEqual(killed, 8)
    }
}
