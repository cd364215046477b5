/// The status of a trial (SEMANTICS section 3).
///
/// ```swift
/// if trial.status == .completed { print(trial.score ?? .nan) }
/// ```
public enum TrialStatus: String, Codable, Sendable, CaseIterable {
    /// An attempt is in progress.
    case running = "RUNNING"
    /// Its last attempt failed and a retry is scheduled.
    case invalid = "INVALID"
    /// It returned a finite objective.
    case completed = "COMPLETED"
    /// It failed for good: retries exhausted, `FailedTrialError`, or killed too often.
    case failed = "FAILED"
    /// A fatal error or an interruption stopped it; it is re-run first on resume.
    case stopped = "STOPPED"
    /// Waiting between workers.
    case idle = "IDLE"
}

/// How one attempt of a trial ended (rules S1–S6).
public enum AttemptOutcome: String, Codable, Sendable, CaseIterable {
    /// Returned a finite objective (S1).
    case completed
    /// Threw `FailedTrialError` or another non-retryable error (S2).
    case failed
    /// Threw any other error (S3).
    case error
    /// Returned a NaN or infinite objective (S4).
    case invalid
    /// Threw a fatal error (S5).
    case fatal
    /// The process died or was stopped by a signal during the attempt (S6).
    case interrupted

    /// Whether the attempt uses one of the trial's `1 + maxRetriesPerTrial` attempts.
    public var isCounted: Bool {
        switch self {
        case .completed, .failed, .error, .invalid: true
        case .fatal, .interrupted: false
        }
    }
}

/// Why a search session ended (rule S21).
public enum StopReason: String, Codable, Sendable, CaseIterable {
    /// The space is exhausted or `maxTrials` was reached.
    case completed
    /// The consecutive-failure limit was reached.
    case consecutiveFailures
    /// A trial threw a fatal error (or the objective is missing, S11).
    case fatal
    /// SIGINT/SIGTERM, or the process was found dead at the next open.
    case interrupted
    /// The search itself failed (disk full, unwritable journal).
    case error
}

/// Formats a trial number as its id: 0-based, zero-padded to four digits (`0007`, `10000`).
public func trialID(_ number: Int) -> String {
    let digits = String(number)
    return digits.count >= 4 ? digits : String(repeating: "0", count: 4 - digits.count) + digits
}

/// The kind of tuner that runs a study: one of the built-in oracles, a KerasTuner project
/// imported, or a custom oracle's own name. A study is resumed only by the kind that began it.
///
/// ```swift
/// let kind: TunerKind = .gridSearch
/// print(kind)                   // GridSearch
/// ```
public struct TunerKind: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The name the journal stores.
    public let rawValue: String

    /// Makes a kind from its stored name.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Makes a kind from a literal name.
    public init(stringLiteral value: String) { rawValue = value }

    /// The exhaustive grid (`GridSearchOracle`).
    public static let gridSearch: TunerKind = "GridSearch"
    /// Random sampling (`RandomSearchOracle`).
    public static let randomSearch: TunerKind = "RandomSearch"
    /// A Gaussian process (`BayesianOptimizationOracle`).
    public static let bayesianOptimization: TunerKind = "BayesianOptimization"
    /// Successive halving in brackets (`HyperbandOracle`).
    public static let hyperband: TunerKind = "Hyperband"
    /// A KerasTuner project imported into a journal.
    public static let kerasTuner: TunerKind = "KerasTuner"

    /// The names a study file's `tuner` accepts, in the order its errors list them, with their kinds.
    public static let studyFileNames: [(name: String, kind: TunerKind)] = [
        ("grid", .gridSearch), ("random", .randomSearch), ("bayesian", .bayesianOptimization),
        ("hyperband", .hyperband),
        ("GridSearch", .gridSearch), ("RandomSearch", .randomSearch), ("BayesianOptimization", .bayesianOptimization),
        ("Hyperband", .hyperband),
    ]

    /// The kind a study file's `tuner` names, or `nil`.
    public init?(studyFileName name: String) {
        guard let entry = Self.studyFileNames.first(where: { $0.name == name }) else { return nil }
        self = entry.kind
    }

    /// The stored name.
    public var description: String { rawValue }
}

extension TrialStatus: CustomStringConvertible {
    /// The name the journal and reports use (`COMPLETED`).
    public var description: String { rawValue }
}

extension AttemptOutcome: CustomStringConvertible {
    /// The name the journal and reports use (`interrupted`).
    public var description: String { rawValue }
}

extension StopReason: CustomStringConvertible {
    /// The name the journal and reports use (`consecutiveFailures`).
    public var description: String { rawValue }
}
