import ArgumentParser
import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerReports
import TunerStudy

/// The `tuner` command: fault-tolerant, resumable hyperparameter searches from study files.
@main
struct TunerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tuner",
        abstract: "Fault-tolerant, resumable hyperparameter search.",
        discussion: """
            Exit codes: 0 search completed (at least one trial COMPLETED), 1 error (bad input, I/O), \
            2 usage, 3 stopped by the consecutive-failure limit, 4 stopped by a fatal error (an \
            objective missing from the metrics included), 5 the search ended but no trial \
            completed, 128 + the signal when stopped by one (130 SIGINT, 143 SIGTERM).
            """,
        subcommands: [Search.self, Status.self, Summary.self, Report.self, Export.self, ImportKerasTuner.self])

    /// Exit codes, as `--help` and the README document them.
    enum Code {
        static let completed: Int32 = 0, error: Int32 = 1, usage: Int32 = 2, consecutiveFailures: Int32 = 3, fatal: Int32 = 4,
                   noCompletedTrial: Int32 = 5
    }

    static func main() {
        reserveStandardDescriptors()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            writeStandardError(fullMessage(for: error) + "\n")
            Foundation.exit(code == .validationFailure ? Code.usage : Code.error)
        }
    }
}

/// Opens `/dev/null` on standard input, output or error where the process was started with
/// one closed, so that no file the command opens later (a journal, its lock) takes that
/// number and receives console output.
func reserveStandardDescriptors() {
    for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
        let opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
        if opened >= 0 && opened != fd {
            _ = dup2(opened, fd)
            close(opened)
        }
    }
}

/// Writes an error and exits with code 1.
func fail(_ error: any Error) -> Never {
    writeStandardError("error: \(error)\n")
    Foundation.exit(TunerCommand.Code.error)
}

/// A study given on the command line: a study directory, its journal, or its study file.
/// A study file is read when the command runs, so that its errors name their line and
/// column as `search` does.
struct StudyLocation: ExpressibleByArgument {
    var argument: String

    init?(argument: String) {
        self.argument = argument
    }

    /// The journal's path; a study file that cannot be read fails the command with its error.
    var journalPath: String {
        if argument.hasSuffix(".yaml") || argument.hasSuffix(".yml") {
            do { return try StudyFile.load(argument).journalPath } catch { fail(error) }
        }
        if argument.hasSuffix(".sqlite") { return argument }
        return (argument as NSString).appendingPathComponent("journal.sqlite")
    }

    func open() -> StudyJournal {
        do { return try StudyJournal.openForReading(at: journalPath) } catch { fail(error) }
    }
}
