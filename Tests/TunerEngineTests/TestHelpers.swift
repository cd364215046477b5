import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerTestSupport
import XCTest

/// A tuner in a temporary directory, with captured output and no signal handlers.
struct Harness {
    let directory: TemporaryDirectory
    let output = CapturedOutput()

    init(_ directory: TemporaryDirectory = TemporaryDirectory()) { self.directory = directory }

    func tuner(
        oracle: any Oracle = GridSearchOracle(), space: HyperParameters? = nil, maxTrials: Int? = nil,
        retries: Int = 0, limit: Int? = 3, interruptions: Int? = 3, seed: UInt64 = 1,
        objective: Objective = "val_loss", overwrite: Bool = false, options: JournalOptions = JournalOptions(),
        verbose: Verbosity = .progress
    ) throws -> Tuner {
        let tuner = try Tuner(
            oracle: oracle, objective: objective, hyperparameters: space ?? lineSpace(5),
            configuration: TunerConfiguration(
                directory: directory.path, projectName: "study", maxTrials: maxTrials, maxRetriesPerTrial: retries,
                maxConsecutiveFailedTrials: limit, maxInterruptionsPerTrial: interruptions, seed: seed,
                overwrite: overwrite, verbose: verbose, journal: options),
            output: output)
        tuner.handlesSignals = false
        return tuner
    }

    var journalPath: String { Tuner.journalPath(directory: directory.path, projectName: "study") }

    func reader() throws -> StudyJournal { try StudyJournal.openForReading(at: journalPath) }

    /// Simulates a process that died while running `trial`: a session and an attempt that never end.
    func simulateDeath(
        runningNewTrial number: Int, values: [String: HyperParameterValue], space: HyperParameters? = nil,
        seed: UInt64 = 1, oracle: any Oracle = GridSearchOracle()
    ) throws {
        let tuner = try self.tuner(oracle: oracle, space: space, seed: seed)
        let session = try tuner.journal.startSession(limits: "{}", pid: 999_999, host: "gone")
        _ = try tuner.journal.createTrial(
            number: number, values: values, seed: SplitMix64.mix(seed, UInt64(number)),
            session: session.id!)
    }

    /// Simulates a process that died while re-running an existing trial.
    func simulateDeath(rerunning number: Int, space: HyperParameters? = nil, seed: UInt64 = 1) throws {
        let tuner = try self.tuner(space: space, seed: seed)
        _ = try tuner.journal.recover()
        let session = try tuner.journal.startSession(limits: "{}", pid: 999_999, host: "gone")
        _ = try tuner.journal.startAttempt(trial: number, session: session.id!)
    }
}

/// Rows of the trial table that must match between equivalent runs.
struct TrialSummary: Equatable, CustomStringConvertible {
    var id: String
    var status: String
    var values: String
    var seed: Int64
    var score: Double?
    var counted: [String]

    var description: String { "\(id) \(status) \(values) \(score.map { String($0) } ?? "-") \(counted)" }
}

func summaries(_ journal: StudyJournal) throws -> [TrialSummary] {
    let attempts = try journal.attempts()
    return try journal.trials().map { trial in
        TrialSummary(
            id: trial.trialID, status: trial.status.rawValue, values: trial.hyperparameters, seed: trial.seed,
            score: trial.score,
            counted: attempts.filter { $0.trial == trial.number && $0.counted }.map { $0.outcome?.rawValue ?? "open" })
    }
}

extension StudyJournal {
    func statuses() throws -> [String] { try trials().map(\.status.rawValue) }
}
