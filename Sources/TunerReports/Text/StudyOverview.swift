import Foundation
import TunerCore
import TunerJournal

/// A study in one record: what `tuner list` prints a line of, `tuner status --json` prints,
/// and the dashboard's API returns for each study.
///
/// ```swift
/// let overview = StudyOverview(try StudyStatus(journal: journal))
/// print(String(decoding: try StudyOverview.encoder.encode(overview), as: UTF8.self))
/// ```
public struct StudyOverview: Codable, Sendable, Equatable {
    /// The best trial's number, id and score.
    public struct Best: Codable, Sendable, Equatable {
        /// The trial's number.
        public var number: Int
        /// The trial's id (`trial_0003`).
        public var id: String
        /// Its objective's value; non-finite values are written as text by ``encoder``.
        public var score: Double
    }

    /// The study's name.
    public var name: String
    /// The tuner (`RandomSearch`, `BayesianOptimization`, …).
    public var tuner: String
    /// The objective's name.
    public var objective: String
    /// `min` or `max`.
    public var direction: String
    /// `not started`, `running`, `completed` or `stopped`.
    public var status: String
    /// The last session's stop reason; `nil` while it runs.
    public var stopReason: String?
    /// Why the last session stopped, in words.
    public var stopMessage: String?
    /// Whether the last session's process still holds the journal; `nil` once it ended.
    public var writerAlive: Bool?
    /// How many trials.
    public var trials: Int
    /// Trials by status (`COMPLETED`, `FAILED`, …).
    public var trialsByStatus: [String: Int]
    /// The consecutive failed trials now.
    public var consecutiveFailedTrials: Int
    /// The limit on them, from the last session; `nil` when none.
    public var maxConsecutiveFailedTrials: Int?
    /// The trials the search plans to run, from the last session; `nil` when unbounded.
    public var maxTrials: Int?
    /// The best completed trial.
    public var best: Best?
    /// How many sessions.
    public var sessions: Int
    /// The workers whose sessions are open and alive.
    public var liveWorkers: [String]
    /// The latest instant the journal records of a session or trial (seconds since 1970).
    public var lastActivity: Double?
    /// The sessions' total time in seconds.
    public var totalSeconds: Double

    /// The overview of a study's status.
    public init(_ status: StudyStatus) {
        name = status.study.name
        tuner = status.study.tunerKind.rawValue
        objective = status.study.objectiveName
        direction = status.study.direction.rawValue
        let last = status.sessions.last
        switch last?.stopReason {
        case nil: self.status = last == nil ? "not started" : "running"
        case .completed?: self.status = "completed"
        case _?: self.status = "stopped"
        }
        stopReason = last?.stopReason?.rawValue
        stopMessage = last?.stopReason == nil ? nil : last?.message
        // A session that ended has no writer; a worker's session is alive while its worker is.
        writerAlive =
            last?.endedAt != nil ? nil : last?.worker.map { status.liveWorkers.contains($0) } ?? status.writerAlive
        trials = status.trials.count
        var counts: [String: Int] = [:]
        for trial in status.trials { counts[trial.status.rawValue, default: 0] += 1 }
        trialsByStatus = counts
        consecutiveFailedTrials = status.study.streak
        maxConsecutiveFailedTrials = last?.searchLimits?.maxConsecutiveFailedTrials
        maxTrials = last?.searchLimits?.maxTrials
        best = status.best.flatMap { trial in
            trial.score.map { Best(number: trial.number, id: trial.trialID, score: $0) }
        }
        sessions = status.sessions.count
        liveWorkers = status.liveWorkers
        let instants =
            status.sessions.flatMap { [$0.startedAt, $0.endedAt].compactMap { $0 } }
            + status.trials.flatMap { [$0.createdAt, $0.endedAt].compactMap { $0 } }
        lastActivity = instants.max()
        totalSeconds = status.sessions.totalTime()
    }

    /// The encoder of overviews: sorted keys, non-finite numbers as text (`"nan"`, `"inf"`).
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// The overview as `tuner list` prints it: status, trials, best value, last activity.
    public var line: String {
        let counts = ["COMPLETED", "FAILED", "RUNNING"].compactMap { status in
            trialsByStatus[status].map { "\($0) \(status.lowercased())" }
        }
        let bestText = best.map { "best \(objective) \(reportNumber($0.score)) (\($0.id))" } ?? "no best trial"
        let when = lastActivity.map(reportTimestamp) ?? "never"
        return "\(status), \(trials) trials" + (counts.isEmpty ? "" : " (\(counts.joined(separator: ", ")))")
            + ", \(bestText), last activity \(when)"
    }
}
