import ArgumentParser
import Foundation
import SwiftTuner
import TunerStudy

/// A limit given on the command line: a number, or `none`.
struct Limit: ExpressibleByArgument {
    var value: Int?
    init?(argument: String) {
        if argument == "none" { value = nil } else if let n = Int(argument), n > 0 { value = n } else { return nil }
    }
}

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a study file's search, or resume it after a crash.",
        discussion: """
            The journal is DIRECTORY/STUDY/journal.sqlite (the study file's `directory`, .tuner by \
            default). Running the same file again resumes: interrupted trials run first. \
            Exit codes: 0 completed, 1 error, 2 usage, 3 consecutive-failure limit, 4 fatal error, \
            130 interrupted.
            """)

    @Argument(help: "The study file (YAML).")
    var studyFile: String

    @Flag(help: "Start an empty study, deleting the journal.")
    var overwrite = false

    @Option(help: "0: errors only; 1: KerasTuner's lines; 2: also every failed attempt's trace.")
    var verbose: Int = 1

    @Option(help: "Override max_trials.")
    var maxTrials: Int?

    @Option(help: "Override max_retries_per_trial.")
    var maxRetriesPerTrial: Int?

    @Option(help: "Override max_consecutive_failed_trials (a number or none).")
    var maxConsecutiveFailedTrials: Limit?

    @Option(help: "Override max_interruptions_per_trial (a number or none).")
    var maxInterruptionsPerTrial: Limit?

    func validate() throws {
        guard (0...2).contains(verbose) else { throw ValidationError("--verbose takes 0, 1 or 2") }
        if let maxTrials, maxTrials <= 0 { throw ValidationError("--max-trials must be positive") }
        if let maxRetriesPerTrial, maxRetriesPerTrial < 0 { throw ValidationError("--max-retries-per-trial must be 0 or more") }
    }

    func run() throws {
        let study: StudyFile
        do { study = try StudyFile.load(studyFile) } catch { fail(error) }
        let outcome: SearchOutcome
        do {
            outcome = try StudyRun(study: study, verbose: verbose).search(
                overwrite: overwrite, maxTrials: maxTrials, maxRetriesPerTrial: maxRetriesPerTrial,
                maxConsecutiveFailedTrials: maxConsecutiveFailedTrials.map { $0.value },
                maxInterruptionsPerTrial: maxInterruptionsPerTrial.map { $0.value })
        } catch let error as FatalSearchError {
            FileHandle.standardError.write(Data("search stopped by a fatal error: \(error)\n".utf8))
            throw ExitCode(TunerCommand.Code.fatal)
        } catch {
            fail(error)
        }
        if verbose > 0 { print("Journal: \(study.journalPath)") }
        switch outcome.stopReason {
        case .completed: return
        case .consecutiveFailures: throw ExitCode(TunerCommand.Code.consecutiveFailures)
        case .fatal: throw ExitCode(TunerCommand.Code.fatal)
        case .interrupted: throw ExitCode(130)
        case .error: throw ExitCode(TunerCommand.Code.error)
        }
    }
}
