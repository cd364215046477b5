import Foundation
import TunerCore
import TunerJournal

/// Where a search stands, read from its journal in one transaction: the counts by status,
/// the streak, the last session (running, dead or ended, and why) and the best trial. It
/// never takes the writer's lock: whether the writer lives is read from the lock's state.
///
/// ```swift
/// print(try StudyStatus(journal: StudyJournal.openForReading(at: path)).text)
/// ```
public struct StudyStatus: Sendable {
    /// The study row.
    public var study: StudyRecord
    /// Every trial, by number.
    public var trials: [TrialRecord]
    /// Every session, oldest first.
    public var sessions: [SessionRecord]
    /// The best trial, if one completed.
    public var best: TrialRecord?
    /// Whether the last session's process holds the writer's lock; `nil` when it ended.
    public var writerAlive: Bool?
    /// The workers running the study now (section 9), by id.
    public var liveWorkers: [String] = []

    /// Reads the journal's state (S26a).
    public init(journal: StudyJournal) throws {
        (study, trials, sessions, best) = try journal.snapshot {
            (try journal.study(), try journal.trials(), try journal.sessions(), nil)
        }
        best = trials.best(by: study.objective)
        self = rechecked(journal: journal)
    }

    /// The same status with whether its writer and its workers live looked at again: they can
    /// change while the journal does not (a process dies).
    public func rechecked(journal: StudyJournal) -> StudyStatus {
        var status = self
        status.writerAlive = nil
        if let last = sessions.last, last.endedAt == nil {
            // The lock is held exactly while its holder lives; it is looked at, never taken.
            status.writerAlive = StudyLock.isHeld(path: journal.path + ".lock") ?? true
        }
        status.liveWorkers = sessions.contains(where: { $0.worker != nil }) ? journal.liveWorkers() : []
        return status
    }

    /// The status as `tuner status` prints it, one fact a line.
    public var text: String {
        var lines = ["Study \(study.name) — \(study.tunerKind), \(study.objective)"]
        var counts: [String: Int] = [:]
        for trial in trials { counts[trial.status.rawValue, default: 0] += 1 }
        let byStatus = TrialStatus.allCases.compactMap { s in counts[s.rawValue].map { "\($0) \(s.rawValue)" } }
        lines.append("Trials: \(trials.count)" + (trials.isEmpty ? "" : " (" + byStatus.joined(separator: ", ") + ")"))
        lines.append("Consecutive failed trials: \(study.streak)")
        let workerSessions = sessions.filter { $0.worker != nil }
        if let last = sessions.last, last.worker != nil {
            let open = workerSessions.filter { $0.endedAt == nil }
            let dead = open.compactMap(\.worker).filter { !liveWorkers.contains($0) }
            let ids = Set(workerSessions.compactMap(\.worker)).count
            lines.append(
                "Workers: \(liveWorkers.count) running"
                    + (liveWorkers.isEmpty ? "" : " (\(liveWorkers.joined(separator: ", ")))")
                    + ", \(ids) in all over \(workerSessions.count) sessions"
                    + (dead.isEmpty
                        ? "" : "; died: \(dead.joined(separator: ", ")) (the next claim takes their trials back)"))
            if open.isEmpty, let ended = workerSessions.max(by: { ($0.endedAt ?? 0) < ($1.endedAt ?? 0) }) {
                lines.append(
                    "Last worker session: \(ended.worker ?? "?") ended \(ended.stopReason?.rawValue ?? "?")"
                        + (ended.message.map { ": \($0)" } ?? ""))
            }
        } else if let last = sessions.last {
            let started = reportTimestamp(last.startedAt)
            let where_ = "process \(last.pid) on host \(last.host)"
            if last.endedAt == nil {
                lines.append(
                    "Session \(last.id ?? 0): "
                        + (writerAlive ?? true
                            ? "running, \(where_) since \(started)"
                            : "\(where_) died (since \(started)); the next search resumes it"))
            } else {
                lines.append(
                    "Session \(last.id ?? 0) of \(sessions.count): ended \(last.stopReason?.rawValue ?? "?")"
                        + (last.message.map { ": \($0)" } ?? ""))
            }
        } else {
            lines.append("No session yet.")
        }
        if let best {
            lines.append(
                "Best trial: \(best.trialID), \(study.objectiveName) = \(best.score.map { String($0) } ?? "?")")
        }
        lines.append("Total search time: \(formatElapsed(sessions.totalTime()))")
        return lines.joined(separator: "\n")
    }
}
