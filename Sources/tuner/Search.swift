import ArgumentParser
import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerReports
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
            Exit codes: 0 completed (at least one trial COMPLETED), 1 error (bad input, I/O), 2 usage, \
            3 consecutive-failure limit, 4 fatal error (an objective missing from the metrics \
            included), 5 the search ended but no trial completed, 128 + the signal when stopped by \
            one (130 SIGINT, 143 SIGTERM, 129 SIGHUP, 141 SIGPIPE, 131 SIGQUIT).
            """)

    @Argument(help: "The study file (YAML).")
    var studyFile: String

    @Flag(help: "Start an empty study, deleting the journal.")
    var overwrite = false

    @Option(help: "0: errors only; 1: KerasTuner's lines; 2: also every failed attempt's trace.")
    var verbose: Verbosity = .progress

    @Option(help: "Override max_trials.")
    var maxTrials: Int?

    @Option(help: "Override max_retries_per_trial.")
    var maxRetriesPerTrial: Int?

    @Option(help: "Override max_consecutive_failed_trials (a number or none).")
    var maxConsecutiveFailedTrials: Limit?

    @Option(help: "Override max_interruptions_per_trial (a number or none).")
    var maxInterruptionsPerTrial: Limit?

    @Flag(help: "Resume although the search space differs from the journaled one (the change is journaled).")
    var acceptSpaceChange = false

    @Flag(help: "Resume although the trial definition (model, fit, data, constraints, command) differs from the journaled one (the change is journaled).")
    var acceptTrialChange = false

    func validate() throws {
        if let maxTrials, maxTrials <= 0 { throw ValidationError("--max-trials must be positive") }
        if let maxRetriesPerTrial, maxRetriesPerTrial < 0 { throw ValidationError("--max-retries-per-trial must be 0 or more") }
    }

    func run() throws {
        let study: StudyFile
        study = try StudyFile.load(studyFile)
        let outcome: SearchOutcome
        let runner = StudyRun(study: study, verbose: verbose, handlesSignals: true)
        do {
            outcome = try runner.search(
                overwrite: overwrite, maxTrials: maxTrials, maxRetriesPerTrial: maxRetriesPerTrial,
                maxConsecutiveFailedTrials: maxConsecutiveFailedTrials.map { $0.value },
                maxInterruptionsPerTrial: maxInterruptionsPerTrial.map { $0.value },
                acceptSpaceChange: acceptSpaceChange, acceptTrialChange: acceptTrialChange)
        } catch let error where error is FatalSearchError || error is ObjectiveNotFoundError {
            writeStandardError("search stopped by a fatal error: \(error)\n")
            throw ExitCode(TunerCommand.Code.fatal)
        } catch let error as SearchConfigurationError {
            writeStandardError("error: \(error)\n")
            throw ExitCode(TunerCommand.Code.usage)
        }
        if verbose >= .progress { print("Journal: \(study.journalPath)") }
        let code = outcome.exitCode(completedTrials: outcome.completedTrials)
        if code == TunerCommand.Code.noCompletedTrial {
            writeStandardError("the search ended with no COMPLETED trial: every trial failed (exit code 5).\n")
        }
        if code != 0 { throw ExitCode(code) }
    }
}

extension Verbosity: ExpressibleByArgument {
    /// `--verbose 0`, `1` or `2`.
    public init?(argument: String) {
        guard let number = Int(argument), let value = Verbosity(rawValue: number) else { return nil }
        self = value
    }
}
