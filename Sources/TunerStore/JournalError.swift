/// A journal that cannot be opened or written, with what was found, what was expected and
/// what to do (rules S25, S26, S28). A failed open never modifies the file.
///
/// ```swift
/// do { _ = try StudyJournal.open(at: path, study: descriptor) }
/// catch let error as JournalError { print(error) }
/// ```
public struct JournalError: Error, CustomStringConvertible, Sendable {
    /// What kind of problem it is.
    public enum Kind: String, Sendable {
        /// The file is not a SQLite database.
        case notAJournal
        /// A SQLite database, but not a study journal.
        case foreignDatabase
        /// A journal that is damaged or cut short.
        case corrupted
        /// A journal written by a newer version of the project.
        case newerSchema
        /// A journal of another study (tuner kind, objective or search space differ).
        case mismatch
        /// A journal that a live process is searching.
        case locked
        /// A write that failed (disk full, read-only directory, I/O error).
        case writeFailed
        /// A journal that does not exist where it is read.
        case missing
    }

    /// What kind of problem it is.
    public var kind: Kind
    /// The journal file.
    public var path: String
    /// What was found, what was expected and what to do.
    public var message: String

    /// Makes an error.
    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    /// The message, naming the file.
    public var description: String { "\(path): \(message)" }
}

/// The error every journal write throws once a graceful stop (SIGINT, SIGTERM, SIGHUP,
/// SIGPIPE, SIGQUIT) is journaled: the session has ended `interrupted` and nothing more may be
/// written to it (S6a). The search unwinds with it and reports the stop, not an I/O error.
///
/// ```swift
/// catch let stop as SearchInterruptedError { exit(128 + stop.signal) }
/// ```
public struct SearchInterruptedError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The signal's number (`SIGINT` is 2).
    public var signal: Int32
    /// The signal's name, `SIGINT`.
    public var signalName: String
    /// The session the stop ended.
    public var session: Int64

    /// Makes the error.
    public init(signal: Int32, signalName: String, session: Int64) {
        self.signal = signal
        self.signalName = signalName
        self.session = session
    }

    /// The stop, in words.
    public var description: String { "the search was stopped by \(signalName)" }

    /// The process exit code a command reports for it: 128 + the signal's number.
    public var exitCode: Int32 { 128 + signal }
}
