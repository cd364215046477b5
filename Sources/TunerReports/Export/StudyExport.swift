import Foundation
import TunerCore
import TunerJournal

/// A study exported for other tools: JSON (the study, its sessions, every trial with its
/// attempts) or CSV (one row per trial).
///
/// ```swift
/// let data = try StudyExport.csv(try StudyJournal.openForReading(at: path))
/// ```
public enum StudyExport {
    /// Text, or JSON's `null`.
    static func text(_ value: String?) -> Any {
        value.map { $0 as Any } ?? NSNull()
    }

    static func number(_ value: Double?) -> Any {
        guard let value else { return NSNull() }
        return value.isFinite ? value : String(describing: value)
    }

    static func jsonValue(_ value: HyperParameterValue) -> Any {
        switch value {
        case .int(let i): i
        case .float(let d): d
        case .string(let s): s
        case .bool(let b): b
        }
    }

    /// The metrics of a trial: those of its completing attempt, or else of its last one.
    static func metrics(
        _ trial: TrialRecord, _ attempts: [AttemptRecord], _ summaries: [Int64: [String: MetricSummary]]
    ) -> [String: MetricSummary] {
        let source = attempts.last { $0.outcome == .completed } ?? attempts.last
        return source.flatMap { $0.id.flatMap { summaries[$0] } } ?? [:]
    }

    /// The study, its sessions, and every trial with its attempts and metrics, as indented JSON
    /// with sorted keys; read in one transaction (S26a).
    public static func json(_ journal: StudyJournal) throws -> Data {
        try journal.snapshot { try jsonInSnapshot(journal) }
    }

    static func jsonInSnapshot(_ journal: StudyJournal) throws -> Data {
        let record = try journal.study()
        let space = (try? record.searchSpace()) ?? SearchSpace()
        let attempts = Dictionary(grouping: try journal.attempts(), by: \.trial)
        let summaries = try journal.metricSummaries(objective: record.objective)
        let trials: [[String: Any]] = try journal.trials().map { trial in
            let values = try trial.values()
            var hyperparameters: [String: Any] = [:]
            for (name, value) in values { hyperparameters[name] = Self.jsonValue(value) }
            var metrics: [String: Any] = [:]
            for (name, summary) in Self.metrics(trial, attempts[trial.number] ?? [], summaries) {
                metrics[name] = ["best": Self.number(summary.best), "last": Self.number(summary.last)]
            }
            return [
                "id": trial.trialID, "status": trial.status.rawValue, "hyperparameters": hyperparameters,
                "score": Self.number(trial.score),
                "seed": String(trial.trialSeed), "message": Self.text(trial.message),
                "errorType": Self.text(trial.errorType),
                "startedAt": trial.createdAt, "endedAt": Self.number(trial.endedAt), "metrics": metrics,
                "attempts": (attempts[trial.number] ?? []).map { attempt -> [String: Any] in
                    [
                        "number": attempt.number, "outcome": attempt.outcomeText, "counted": attempt.counted,
                        "errorType": Self.text(attempt.errorType), "message": Self.text(attempt.message),
                        "startedAt": attempt.startedAt, "endedAt": Self.number(attempt.endedAt),
                        "durationSeconds": Self.number(attempt.duration), "session": attempt.session,
                    ]
                },
            ]
        }
        let sessions: [[String: Any]] = try journal.sessions().map { session in
            [
                "id": session.id ?? 0, "pid": session.pid, "host": session.host, "startedAt": session.startedAt,
                "endedAt": Self.number(session.endedAt), "stopReason": Self.text(session.stopReason?.rawValue),
                "message": Self.text(session.message),
            ]
        }
        let object: [String: Any] = [
            "study": [
                "name": record.name, "directory": record.directory, "tuner": record.tunerKind.rawValue,
                "objective": record.objectiveName,
                "direction": record.direction.rawValue, "seed": String(record.studySeed), "searchSpace": space.names,
                "consecutiveFailedTrials": record.streak,
            ] as [String: Any],
            "sessions": sessions,
            "trials": trials,
        ]
        var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        data.append(contentsOf: Array("\n".utf8))
        return data
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { ",\"\n\r".contains($0) })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    /// One row per trial: status, score, attempts, times, error, every hyperparameter and the
    /// best and last value of every metric (numbers in the shortest form that reads back
    /// exactly); read in one transaction (S26a).
    public static func csv(_ journal: StudyJournal) throws -> Data {
        try journal.snapshot { try csvInSnapshot(journal) }
    }

    static func csvInSnapshot(_ journal: StudyJournal) throws -> Data {
        let record = try journal.study()
        let names = ((try? record.searchSpace()) ?? SearchSpace()).names
        let attempts = Dictionary(grouping: try journal.attempts(), by: \.trial)
        let summaries = try journal.metricSummaries(objective: record.objective)
        let trials = try journal.trials()
        let metrics = trials.map { Self.metrics($0, attempts[$0.number] ?? [], summaries) }
        let metricNames = Array(Set(metrics.flatMap(\.keys))).sorted()
        var lines = [
            ([
                "id", "status", "score", "attempts", "counted_attempts", "started_at", "ended_at", "error_type",
                "message",
            ] + names
                + metricNames.flatMap { ["best_\($0)", "last_\($0)"] }).map(Self.csvField).joined(separator: ",")
        ]
        // Numbers in the shortest form that reads back exactly.
        func exact(_ value: Double?) -> String { value.map { $0.isFinite ? String($0) : "\($0)" } ?? "" }
        for (trial, trialMetrics) in zip(trials, metrics) {
            let values = try trial.values()
            let list = attempts[trial.number] ?? []
            var row = [
                trial.trialID, trial.status.rawValue, exact(trial.score), String(list.count),
                String(list.filter(\.counted).count),
                exact(trial.createdAt), exact(trial.endedAt), trial.errorType ?? "", trial.message ?? "",
            ]
            row += names.map { values[$0]?.exactDescription ?? "" }
            row += metricNames.flatMap { [exact(trialMetrics[$0]?.best), exact(trialMetrics[$0]?.last)] }
            lines.append(row.map(Self.csvField).joined(separator: ","))
        }
        return Data((lines.joined(separator: "\n") + "\n").utf8)
    }
}
