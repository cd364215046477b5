import ArgumentParser
import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerReports

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show where a search stands: counts, the running session, the streak, the stop reason.")

    @Argument(help: "The study directory (DIRECTORY/STUDY), its journal, or its study file.")
    var study: StudyLocation

    func run() throws {
        let journal = study.open()
        do {
            // One read transaction: the counts, the streak and the sessions agree (S26a).
            let (record, trials, sessions, best) = try journal.snapshot {
                (try journal.study(), try journal.trials(), try journal.sessions(), try journal.bestTrials(1).first)
            }
            print("Study \(record.name) — \(record.tunerKind), \(record.objective)")
            var counts: [String: Int] = [:]
            for trial in trials { counts[trial.status, default: 0] += 1 }
            print("Trials: \(trials.count)" + (trials.isEmpty ? "" : " (" + TrialStatus.allCases.compactMap { s in counts[s.rawValue].map { "\($0) \(s.rawValue)" } }.joined(separator: ", ") + ")"))
            print("Consecutive failed trials: \(record.streak)")
            if let last = sessions.last {
                let started = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: last.startedAt))
                if last.endedAt == nil {
                    // The lock is held exactly while its holder lives; it is looked at, never taken.
                    let alive = StudyLock.isHeld(path: journal.path + ".lock") ?? true
                    print("Session \(last.id ?? 0): " + (alive ? "running, process \(last.pid) on host \(last.host) since \(started)"
                                                            : "process \(last.pid) on host \(last.host) died (since \(started)); the next search resumes it"))
                } else {
                    print("Session \(last.id ?? 0) of \(sessions.count): ended \(last.stopReason ?? "?")" + (last.message.map { ": \($0)" } ?? ""))
                }
            } else {
                print("No session yet.")
            }
            if let best {
                print("Best trial: \(best.trialID), \(record.objectiveName) = \(best.score.map { String($0) } ?? "?")")
            }
            print("Total search time: \(formatElapsed(sessions.reduce(0) { $0 + $1.duration }))")
        } catch {
            fail(error)
        }
    }
}

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print KerasTuner's results_summary from the journal.")

    @Argument(help: "The study directory (DIRECTORY/STUDY), its journal, or its study file.")
    var study: StudyLocation

    @Option(help: "How many trials to show.")
    var numTrials = 10

    func run() throws {
        do {
            let journal = study.open()
            print(try journal.snapshot { try journal.resultsSummary(numTrials: numTrials) })
        } catch { fail(error) }
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write the HTML summary and/or the JUnit XML file of a study.")

    @Argument(help: "The study directory (DIRECTORY/STUDY), its journal, or its study file.")
    var study: StudyLocation

    @Option(help: "Write the HTML summary here.")
    var html: String?

    @Option(help: "Write the JUnit XML file here.")
    var junit: String?

    func validate() throws {
        if html == nil && junit == nil { throw ValidationError("give --html FILE, --junit FILE, or both") }
    }

    func run() throws {
        do {
            let snapshot = try StudySnapshot(journal: study.open())
            if let html {
                try HTMLReport(snapshot: snapshot).render().write(toFile: html, atomically: true, encoding: .utf8)
                print("HTML: \(html)")
            }
            if let junit {
                try JUnitReport(snapshots: [snapshot]).document().write(to: URL(fileURLWithPath: junit))
                print("JUnit: \(junit)")
            }
        } catch {
            fail(error)
        }
    }
}
