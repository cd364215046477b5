import Foundation
import TunerCore
import TunerJournal

/// Everything a report needs, read from a journal at one instant: the study, its sessions,
/// trials and attempts. Reports read the journal only, never the engine.
///
/// ```swift
/// let snapshot = try StudySnapshot(journal: StudyJournal.openForReading(at: path))
/// ```
public struct StudySnapshot: Sendable {
    /// The study row.
    public var study: StudyRecord
    /// The search space.
    public var space: SearchSpace
    /// Sessions, oldest first.
    public var sessions: [SessionRecord]
    /// Trials by number.
    public var trials: [TrialRecord]
    /// Attempts of each trial, in order.
    public var attempts: [Int: [AttemptRecord]]
    /// The per-epoch values of ``curvesMetric`` of each attempt that reported them.
    public var curves: [Int64: [Double]]
    /// The metric ``curves`` holds: the objective unless the snapshot was asked for another.
    public var curvesMetric: String

    /// The journal's own schema version.
    public var schemaVersion: Int

    /// What a snapshot reads of each attempt.
    public enum Reading: Sendable, Equatable {
        /// Every attempt's trace and metrics, as the JUnit report and exports need.
        case complete
        /// What the HTML report shows: no attempt's or trial's metrics, and only the first traces of each
        /// error type in ``StudySnapshot/troubledTrialNumbers`` order (a study's traces can be far
        /// larger than the rest of it).
        case summary(tracesPerErrorType: Int)

        /// The HTML report's reading with its default number of traces.
        public static var html: Reading { .summary(tracesPerErrorType: HTMLReport.defaultTracesPerType) }
    }

    /// Reads a journal in one read transaction: a search writing meanwhile cannot mix two
    /// states in one report (S26a).
    ///
    /// - Parameter curvesOf: the metric whose learning curves to read; the objective by default.
    public init(journal: StudyJournal, reading: Reading = .complete, curvesOf metric: String? = nil) throws {
        (study, sessions, trials, attempts, curves, curvesMetric, schemaVersion) = try journal.snapshot {
            let study = try journal.study()
            let trials = try journal.trials(metrics: reading == .complete)
            var attempts = try journal.attemptsByTrial(traces: reading == .complete, metrics: reading == .complete)
            if case .summary(let limit) = reading {
                let traces = try journal.traces(
                    ofAttempts: Self.shownTraces(Self.troubledTrialNumbers(trials, attempts), attempts, limit: limit))
                // The trials to change, found first: changing the dictionary while iterating it
                // would copy it whole.
                let changed = attempts.compactMap { trial, list in
                    list.contains { $0.id.map { traces[$0] != nil } ?? false } ? trial : nil
                }
                for trial in changed {
                    guard var list = attempts.removeValue(forKey: trial) else { continue }
                    for index in list.indices { list[index].trace = list[index].id.flatMap { traces[$0] } }
                    attempts[trial] = list
                }
            }
            let curvesMetric = metric ?? study.objectiveName
            return (
                study, try journal.sessions(), trials, attempts,
                try journal.learningCurves(metric: curvesMetric), curvesMetric, try journal.schemaVersion()
            )
        }
        space = (try? study.searchSpace()) ?? SearchSpace()
        bestTrial = Self.best(trials, study.objective)
    }

    /// The objective.
    public var objective: Objective { study.objective }

    /// The numbers of the trials with a failed attempt or a FAILED status, as reports list them:
    /// FAILED trials first, then the others, each by number.
    public var troubledTrialNumbers: [Int] { Self.troubledTrialNumbers(trials, attempts) }

    static func troubledTrialNumbers(_ trials: [TrialRecord], _ attempts: [Int: [AttemptRecord]]) -> [Int] {
        var failed: [Int] = [], others: [Int] = []
        for trial in trials {
            if trial.status == .failed {
                failed.append(trial.number)
            } else if (attempts[trial.number] ?? []).contains(where: { $0.outcome != nil && $0.outcome != .completed })
            {
                others.append(trial.number)
            }
        }
        return failed + others
    }

    /// A trial by number.
    public func trial(_ number: Int) -> TrialRecord? {
        if trials.indices.contains(number), trials[number].number == number { return trials[number] }
        return trials.first { $0.number == number }
    }

    /// The attempts whose traces a report shows: in `troubled` order, the first `limit` failed
    /// attempts of each error type.
    static func shownTraces(_ troubled: [Int], _ attempts: [Int: [AttemptRecord]], limit: Int) -> [Int64] {
        var counts: [String: Int] = [:]
        var chosen: [Int64] = []
        for number in troubled {
            for attempt in attempts[number] ?? [] where attempt.outcome != .completed {
                let type = attempt.errorType ?? attempt.outcomeText
                let count = counts[type, default: 0]
                guard count < limit else { continue }
                counts[type] = count + 1
                if let id = attempt.id { chosen.append(id) }
            }
        }
        return chosen
    }

    /// The last session's limits, as journaled; `nil` before the first session.
    public var limits: SearchLimits? { sessions.last?.searchLimits }

    /// The last session's limits by name, as reports list them; `nil` is "none" or not recorded.
    public var limitEntries: [(name: String, value: Int?)] {
        SearchLimits.recorded(json: sessions.last?.limits ?? "{}")
    }

    /// The last session's stop reason; `nil` while it runs.
    public var stopReason: StopReason? { sessions.last?.stopReason }

    /// `running`, `completed` or `stopped` (a limit, a fatal error, an interruption, an error).
    public var searchStatus: String {
        guard let last = sessions.last else { return "not started" }
        guard let reason = last.stopReason else { return "running" }
        return reason == .completed ? "completed" : "stopped"
    }

    /// The best COMPLETED trial (the first of equals).
    public private(set) var bestTrial: TrialRecord?

    static func best(_ trials: [TrialRecord], _ objective: Objective) -> TrialRecord? {
        trials.best(by: objective)
    }

    /// The values of a trial in space order.
    public func values(of trial: TrialRecord) -> [(name: String, value: HyperParameterValue)] {
        space.ordered((try? trial.values()) ?? [:])
    }

    /// The latest instant the journal records: a session's start or end, an attempt's start or
    /// end. For a running search, the last sign of life.
    public var lastActivity: Double? {
        let times =
            sessions.flatMap { [$0.startedAt, $0.endedAt].compactMap { $0 } }
            + attempts.values.joined().flatMap { [$0.startedAt, $0.endedAt].compactMap { $0 } }
        return times.max()
    }

    /// Total search time: the sum of session durations (S29); a session still open counts up
    /// to its last journaled activity.
    public var totalTime: Double {
        // Each session's last journaled instant, from one pass over the attempts.
        var lastSeen: [Int64: Double] = [:]
        for attempt in attempts.values.joined() {
            let instant = max(attempt.startedAt, attempt.endedAt ?? attempt.startedAt)
            lastSeen[attempt.session] = max(lastSeen[attempt.session] ?? instant, instant)
        }
        return sessions.totalTime { session in session.id.flatMap { lastSeen[$0] } }
    }

    /// The search's status in words, with why it stopped: "completed", "running",
    /// "stopped: consecutive-failure limit reached", …
    public var statusInWords: String {
        guard let last = sessions.last else { return "not started" }
        guard let reason = last.stopReason else { return "running" }
        switch reason {
        case .completed: return "completed"
        case .consecutiveFailures: return "stopped: consecutive-failure limit reached"
        case .fatal: return "stopped by a fatal error"
        case .interrupted: return "interrupted"
        case .error: return "stopped by an error"
        }
    }

    /// The number of trials still planned and not yet started: the rest of the grid for
    /// GridSearch, `maxTrials` otherwise; 0 when the search completed.
    public var notRunCount: Int {
        if stopReason == .completed { return 0 }
        if study.tunerKind == .gridSearch {
            let total = space.gridCount(limit: 100_000) ?? trials.count
            if let maxTrials = limits?.maxTrials { return max(0, min(total, maxTrials) - trials.count) }
            return max(0, total - trials.count)
        }
        if let maxTrials = limits?.maxTrials { return max(0, maxTrials - trials.count) }
        return 0
    }
}

/// Formats seconds as the reports do: `%.3f`, never negative, never an exponent.
public func reportSeconds(_ value: Double) -> String {
    String(format: "%.3f", value.isFinite ? max(0, value) : 0)
}

/// Formats an instant as `YYYY-MM-DDTHH:MM:SSZ`.
public func reportTimestamp(_ seconds: Double) -> String {
    formatTimestamp(seconds)
}
