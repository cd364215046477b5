import Foundation
import TunerCore
import TunerJournal
import TunerEngine

/// Checks a journal against the rules every state boundary keeps (S6a, S12, S15–S18, S20,
/// S22): what a crash, a signal or a failed write may never leave behind. Returns the
/// violations, in words; an empty list is a sound journal.
///
/// ```swift
/// XCTAssertEqual(try JournalInvariants.violations(in: journal), [])
/// ```
public enum JournalInvariants {
    /// The violations found in a journal read in one transaction.
    public static func violations(in journal: StudyJournal) throws -> [String] {
        try journal.snapshot {
            check(
                study: try journal.study(), sessions: try journal.sessions(), trials: try journal.trials(),
                attempts: try journal.attempts())
        }
    }

    static func check(
        study: StudyRecord, sessions: [SessionRecord], trials: [TrialRecord],
        attempts: [AttemptRecord]
    ) -> [String] {
        var problems: [String] = []
        let sessionsByID = Dictionary(uniqueKeysWithValues: sessions.compactMap { s in s.id.map { ($0, s) } })
        let byTrial = Dictionary(grouping: attempts, by: \.trial)
        // One open session per writer: the one search, or each worker (section 9).
        for (worker, open) in Dictionary(grouping: sessions.filter { $0.endedAt == nil }, by: { $0.worker ?? "" })
        where open.count > 1 {
            problems.append(
                "\(open.count) sessions of \(worker.isEmpty ? "the one writer" : "worker \(worker)") are open at once")
        }
        if sessions.contains(where: { $0.endedAt == nil && $0.worker == nil }),
            sessions.contains(where: { $0.endedAt == nil && $0.worker != nil })
        {
            problems.append("a plain search and workers have sessions open at once")
        }
        for attempt in attempts where attempt.outcome == nil {
            guard let session = sessionsByID[attempt.session] else {
                problems.append("attempt \(attempt.trial)/\(attempt.number) belongs to no session")
                continue
            }
            if session.endedAt != nil {
                problems.append(
                    "attempt \(trialID(attempt.trial))/\(attempt.number) has no outcome but its session " +
                        "\(attempt.session) ended \(session.stopReason?.rawValue ?? "?")"
                )
            }
        }
        for trial in trials {
            let list = (byTrial[trial.number] ?? []).sorted { $0.number < $1.number }
            let open = list.filter { $0.outcome == nil }
            if open.count > 1 { problems.append("trial \(trial.trialID) has \(open.count) open attempts") }
            switch trial.status {
            case .running where open.isEmpty:
                problems.append("trial \(trial.trialID) is RUNNING with no open attempt")
            case .completed where list.last?.outcome != .completed:
                problems.append(
                    "trial \(trial.trialID) is COMPLETED but its last attempt is " +
                        "\(list.last?.outcome?.rawValue ?? "open")"
                )
            case .completed, .failed:
                if trial.endSeq == nil { problems.append("trial \(trial.trialID) ended without an end order") }
            default:
                break
            }
            if trial.status != .running, !open.isEmpty {
                problems.append("trial \(trial.trialID) is \(trial.status) with an open attempt")
            }
        }
        // The streak, derived from the end order (S15, S18).
        let ended = trials.filter { $0.endSeq != nil }.sorted { ($0.endSeq ?? 0) < ($1.endSeq ?? 0) }
        let derived = ended.reversed().prefix { $0.status == .failed }.count
        if study.streak != derived {
            problems.append("the cached streak is \(study.streak), the trials give \(derived)")
        }
        if study.endCount != (ended.last?.endSeq ?? 0) {
            problems.append("endCount \(study.endCount) differs from the last end order \(ended.last?.endSeq ?? 0)")
        }
        // A stop is journaled with its trigger (S17, S20): the session that ran the trial that
        // reached the limit ended with the limit; a fatal attempt's session ended fatal.
        var streak = 0
        for trial in ended {
            streak = trial.status == .failed ? streak + 1 : 0
            guard trial.status == .failed, let last = byTrial[trial.number]?.max(by: { $0.number < $1.number }),
                let session = sessionsByID[last.session],
                let limit = session.searchLimits?.maxConsecutiveFailedTrials, streak >= limit
            else { continue }
            if session.endedAt == nil { continue }
            if session.stopReason != .consecutiveFailures {
                problems.append(
                    "trial \(trial.trialID) reached the limit of \(limit) (streak \(streak)) but its session " +
                        "\(last.session) ended \(session.stopReason?.rawValue ?? "?")"
                )
            }
        }
        for attempt in attempts where attempt.outcome == .fatal {
            if let session = sessionsByID[attempt.session], session.stopReason != .fatal {
                problems.append(
                    "attempt \(trialID(attempt.trial))/\(attempt.number) was fatal but its session ended " +
                        "\(session.stopReason?.rawValue ?? "open")"
                )
            }
        }
        problems += checkAttempts(trials: trials, byTrial: byTrial, sessions: sessionsByID)
        let ends = ended.compactMap(\.endSeq)
        if ends != Array(1...max(1, ends.count)).prefix(ends.count).map({ $0 }) {
            problems.append("the end order is not 1, 2, … \(ends.count): \(ends.prefix(10))")
        }
        return problems
    }

    /// Per trial: attempt numbers 1, 2, … with no gap; counted attempts within the retries
    /// its sessions allowed (S8); attempts one after another, unless the one before was found
    /// dead (a worker's death is found later than it happened) (section 9).
    static func checkAttempts(
        trials: [TrialRecord], byTrial: [Int: [AttemptRecord]],
        sessions: [Int64: SessionRecord]
    ) -> [String] {
        var problems: [String] = []
        for trial in trials {
            let list = (byTrial[trial.number] ?? []).sorted { $0.number < $1.number }
            if list.map(\.number) != Array(1...max(1, list.count)).prefix(list.count).map({ $0 }) {
                problems.append("trial \(trial.trialID)'s attempts are numbered \(list.map(\.number)), not 1, 2, …")
            }
            let allowed = list.compactMap { sessions[$0.session]?.searchLimits?.maxRetriesPerTrial }.max() ?? 0
            let counted = list.filter(\.counted).count
            if counted > allowed + 1 {
                problems.append(
                    "trial \(trial.trialID) has \(counted) counted attempts, more than 1 + \(allowed) retries")
            }
            for (before, after) in zip(list, list.dropFirst()) where before.outcome != .interrupted {
                if let end = before.endedAt, after.startedAt < end - 1e-6 {
                    problems.append(
                        "trial \(trial.trialID)'s attempt \(after.number) started before attempt \(before.number) ended"
                    )
                }
            }
        }
        return problems
    }

    /// What many workers on one study may never leave behind, besides ``violations(in:)``
    /// (section 9): no configuration proposed twice (Grid and Random), at most `maxStops`
    /// stops journaled, no trial created after the last stop by a session that ran when it was
    /// journaled, and no trial interrupted more often than `maxInterruptions` allows.
    public static func workerViolations(
        in journal: StudyJournal, distinctConfigurations: Bool,
        maxStops: Int = 1, maxInterruptions: Int? = nil
    ) throws -> [String] {
        try journal.snapshot {
            var problems = try violations(in: journal)
            let trials = try journal.trials()
            if distinctConfigurations {
                let counts = Dictionary(grouping: trials, by: \.hyperparameters).filter { $0.value.count > 1 }
                for (values, twins) in counts {
                    problems.append(
                        "trials \(twins.map(\.trialID).joined(separator: ", ")) have the same configuration \(values)")
                }
            }
            let stops = try journal.stops()
            if stops.count > maxStops {
                problems.append("\(stops.count) stops were journaled, at most \(maxStops) expected")
            }
            if let at = stops.at {
                // A session that was running when the stop was journaled creates no trial after
                // it (a session started later resumes the study).
                let started = Dictionary(
                    uniqueKeysWithValues: try journal.sessions().compactMap { s in s.id.map { ($0, s.startedAt) } })
                for trial in trials where trial.createdAt > at && (started[trial.createdSession] ?? 0) <= at {
                    problems.append(
                        "trial \(trial.trialID) was created after the stop at \(at) by session " +
                            "\(trial.createdSession), which ran when it was journaled"
                    )
                }
            }
            if let maxInterruptions {
                for (trial, deaths) in try journal.attemptCounts().deaths where deaths > maxInterruptions {
                    problems.append(
                        "trial \(trialID(trial)) was interrupted \(deaths) times, over the cap of \(maxInterruptions)")
                }
            }
            return problems
        }
    }
}
