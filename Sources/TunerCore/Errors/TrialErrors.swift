/// Marks an error type as fatal: a trial that throws it stops the whole search at once,
/// and the error reaches the caller of `search` (rule S5).
///
/// ```swift
/// struct OutOfBudget: FatalSearchError {}
/// ```
public protocol FatalSearchError: Error {}

/// Marks an error type as a definite failure: the trial is marked FAILED without any
/// retry (rule S2).
///
/// ```swift
/// struct ModelTooLarge: NonRetryableTrialError { let parameters: Int }
/// ```
public protocol NonRetryableTrialError: Error {}

/// An error that is its message: the trial errors the guide and KerasTuner name
/// (``FailedTrialError``, ``FatalError``, ``ValueError``, …) share this one shape.
///
/// ```swift
/// struct OutOfMemory: MessageError { let message: String; init(_ message: String) { self.message = message } }
/// ```
public protocol MessageError: Error, CustomStringConvertible, Sendable {
    /// The message the journal and reports show.
    var message: String { get }
    /// Makes the error with a message.
    init(_ message: String)
}

extension MessageError {
    /// The message.
    public var description: String { message }
}

/// Fails the current trial without retrying it, as KerasTuner's `FailedTrialError`.
///
/// ```swift
/// if parameterCount > 1200 { throw FailedTrialError("Model too large! It contains \(parameterCount) params.") }
/// ```
public struct FailedTrialError: NonRetryableTrialError, MessageError {
    /// The message the journal and reports show.
    public var message: String
    /// Makes the error with a message.
    public init(_ message: String = "") { self.message = message }
}

/// A plain error, retried as any other (Python's `ValueError`, which the guide's first
/// scenario raises for a model that is too large).
///
/// ```swift
/// guard units > 0 else { throw ValueError("units must be positive, got \(units)") }
/// ```
public struct ValueError: MessageError {
    /// The message the journal and reports show.
    public var message: String
    /// Makes the error with a message.
    public init(_ message: String = "") { self.message = message }
}

/// Stops the search at once, as KerasTuner's `FatalError`.
public struct FatalError: FatalSearchError, MessageError {
    /// The message the journal and reports show.
    public var message: String
    /// Makes the error with a message.
    public init(_ message: String = "") { self.message = message }
}

/// Names the journaled error type of an error whose Swift type name is not the one users know.
public protocol NamedTrialError: Error {
    /// The error type the journal and reports show.
    var errorTypeName: String { get }
}

/// The kind of one of KerasTuner's fatal errors, for ``KerasFatalError``.
public protocol KerasFatalKind: Sendable {
    /// KerasTuner's name of the error.
    static var name: String { get }
}

/// Stops the search at once: KerasTuner's `FatalValueError`, `FatalTypeError` and
/// `FatalRuntimeError`, one type told apart by its kind and journaled under KerasTuner's names.
///
/// ```swift
/// throw FatalValueError("the learning rate is negative")
/// ```
public struct KerasFatalError<Kind: KerasFatalKind>: FatalSearchError, MessageError, NamedTrialError {
    /// The message the journal and reports show.
    public var message: String
    /// Makes the error with a message.
    public init(_ message: String = "") { self.message = message }
    /// KerasTuner's name of the error (`FatalValueError`).
    public var errorTypeName: String { Kind.name }
}

/// The kinds of ``KerasFatalError``.
public enum KerasFatalKinds {
    /// `FatalValueError`.
    public enum Value: KerasFatalKind { public static let name = "FatalValueError" }
    /// `FatalTypeError`.
    public enum TypeMismatch: KerasFatalKind { public static let name = "FatalTypeError" }
    /// `FatalRuntimeError`.
    public enum Runtime: KerasFatalKind { public static let name = "FatalRuntimeError" }
}

/// Stops the search at once, as KerasTuner's `FatalValueError`.
public typealias FatalValueError = KerasFatalError<KerasFatalKinds.Value>
/// Stops the search at once, as KerasTuner's `FatalTypeError`.
public typealias FatalTypeError = KerasFatalError<KerasFatalKinds.TypeMismatch>
/// Stops the search at once, as KerasTuner's `FatalRuntimeError`.
public typealias FatalRuntimeError = KerasFatalError<KerasFatalKinds.Runtime>

/// A search that is configured wrongly: a usage error raised before or instead of a trial
/// (an objective that cannot be inferred or that no trial reports, a limit of 0, …).
///
/// ```swift
/// throw SearchConfigurationError("maxConsecutiveFailedTrials must be positive or nil, got 0")
/// ```
public struct SearchConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What is wrong and what to do.
    public var message: String
    /// Makes the error with a message.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// Marks an error as the search's own failure, not the trial's: an I/O error in the trial's
/// directory (its output files cannot be created), say. The attempt is closed as
/// `interrupted` without counting, and the search stops with reason `error` (S28).
///
/// ```swift
/// struct TrialDirectoryUnwritable: SearchEnvironmentError { let path: String }
/// ```
public protocol SearchEnvironmentError: Error {}

/// An I/O error in a trial's directory: the search stops with reason `error`, and the trial
/// is re-run first on resume (S28).
public struct TrialDirectoryError: SearchEnvironmentError, CustomStringConvertible, Sendable {
    /// The file or folder that could not be written.
    public var path: String
    /// Why, as the system said it.
    public var reason: String
    /// Makes the error.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    /// The message.
    public var description: String {
        "cannot write the trial's files at \(path): \(reason). Free the space or fix the permissions, then resume."
    }
}
