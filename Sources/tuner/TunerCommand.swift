import ArgumentParser
import Synchronization
import TunerPostgres
import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerReports
import TunerStudy

/// The `tuner` command: fault-tolerant, resumable hyperparameter searches from study files.
@main
struct TunerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tuner",
        abstract: "Fault-tolerant, resumable hyperparameter search.",
        discussion: """
            Exit codes: 0 search completed (at least one trial COMPLETED), 1 error (bad input, I/O), \
            2 usage, 3 stopped by the consecutive-failure limit, 4 stopped by a fatal error (an \
            objective missing from the metrics included), 5 the search ended but no trial \
            completed, 128 + the signal when stopped by one (130 SIGINT, 143 SIGTERM).
            """,
        subcommands: [
            Search.self, Worker.self, Verify.self, Status.self, Summary.self, Report.self, Export.self,
            ImportKerasTuner.self, List.self, Serve.self,
        ])

    /// Exit codes, as `--help` and the README document them.
    enum Code {
        static let completed: Int32 = 0, error: Int32 = 1, usage: Int32 = 2, consecutiveFailures: Int32 = 3,
            fatal: Int32 = 4,
            noCompletedTrial: Int32 = 5
    }

    /// Runs the command; the one place where errors become exit codes.
    static func main() async {
        reserveStandardDescriptors()
        do {
            var command = try parseAsRoot()
            if var searching = command as? any AsyncParsableCommand {
                try await searching.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            switch exitCode(for: error) {
            case .success:
                print(fullMessage(for: error))
                Foundation.exit(Code.completed)
            case .validationFailure:
                writeStandardError(fullMessage(for: error) + "\n")
                Foundation.exit(Code.usage)
            default:
                // The search's, the journal's and the files' own errors: their message says it all.
                writeStandardError("error: \(error)\n")
                Foundation.exit(Code.error)
            }
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

/// The study a reading command takes: its location, and the PostgreSQL store it is kept in, if
/// it is.
struct StudyArguments: ParsableArguments {
    @Argument(help: "The study directory (DIRECTORY/STUDY), its journal, or its study file.")
    var study: StudyLocation

    @Option(
        help:
            ArgumentHelp(
                "Read the study from this PostgreSQL store (postgresql://…); the argument is then the study's name "
                    + "or its study file.")
    )
    var store: String?

    /// Opens the study's journal for reading (a journal copy for a study in PostgreSQL).
    func open() throws -> StudyJournal { try study.open(store: store) }
}

/// A study given on the command line: a study directory, its journal, or its study file.
/// A study file is read when the command runs, so that its errors name their line and
/// column as `search` does.
struct StudyLocation: ExpressibleByArgument {
    var argument: String

    init?(argument: String) {
        self.argument = argument
    }

    /// The journal's path.
    ///
    /// - Throws: a study file's error, naming its line and column.
    func journalPath() throws -> String {
        if argument.hasSuffix(".yaml") || argument.hasSuffix(".yml") {
            return try StudyFile.load(argument).journalPath
        }
        if argument.hasSuffix(".sqlite") { return argument }
        return (argument as NSString).appendingPathComponent("journal.sqlite")
    }

    /// Opens the journal for reading; with a PostgreSQL `store`, a journal copy of the study
    /// the argument names (a study name, or a study file's name), made in a temporary folder.
    func open(store: String? = nil) throws -> StudyJournal {
        guard let store else { return try StudyJournal.openForReading(at: try journalPath()) }
        return try StoreCopy.journal(url: store, study: try studyName())
    }

    /// The study's name: a study file's `name`, else the argument's last path component.
    func studyName() throws -> String {
        if argument.hasSuffix(".yaml") || argument.hasSuffix(".yml") { return try StudyFile.load(argument).name }
        return (argument as NSString).lastPathComponent
    }
}

/// A study kept in PostgreSQL, copied into a journal file that every report reads.
enum StoreCopy {
    /// Copies the study into a new journal in a temporary folder (removed when the process
    /// ends) and opens it for reading.
    static func journal(url: String, study name: String) throws -> StudyJournal {
        try copy(url: url, study: name).journal
    }

    /// The copy, and the workers whose lease holds now (the copy has no locks to look at).
    static func copy(url: String, study name: String) throws -> (journal: StudyJournal, liveWorkers: [String]) {
        let store = try PostgresStudyStore.openForReading(url: url, study: name)
        let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            "swifttuner-copy-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let path = (folder as NSString).appendingPathComponent("journal.sqlite")
        folders.withLock { list in
            // The first copy registers the cleanup of every copy this process makes.
            if list.isEmpty {
                atexit {
                    for folder in StoreCopy.folders.withLock({ $0 }) {
                        try? FileManager.default.removeItem(atPath: folder)
                    }
                }
            }
            list.append(folder)
        }
        try StudyJournal.write(try store.dump(), to: path)
        return (try StudyJournal.openForReading(at: path), try store.liveWorkers())
    }

    /// The study's status from a copy, with the workers whose lease holds now.
    static func status(url: String, study name: String) throws -> StudyStatus {
        let (journal, live) = try copy(url: url, study: name)
        var status = try StudyStatus(journal: journal)
        status.liveWorkers = live
        if let last = status.sessions.last, last.endedAt == nil {
            status.writerAlive = live.contains(last.worker ?? "")
        }
        return status
    }

    static let folders = Mutex<[String]>([])
}
