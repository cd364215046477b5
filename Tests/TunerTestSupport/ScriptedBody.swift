import Foundation
import TunerCore
import TunerJournal
import TunerEngine

/// What a scripted attempt does.
public enum ScriptedAction: Sendable, Equatable {
    /// Returns this objective value (per epoch: `values`).
    case complete([Double])
    /// Throws a plain error with this message.
    case error(String)
    /// Throws `FailedTrialError`.
    case failedTrial(String)
    /// Throws `FatalError`.
    case fatal(String)
    /// Returns these metrics, which lack the objective.
    case metrics([String: Double])
}

/// A trial body whose every attempt is scripted by (trial number, retry index), for the
/// rule tests; it records the contexts it was called with.
///
/// ```swift
/// let body = ScriptedBody(default: .complete([0.5])) { trial, retry in trial == 2 ? .error("boom") : nil }
/// try tuner.search(body.run)
/// ```
public final class ScriptedBody: @unchecked Sendable {
    /// The contexts of every call, in order: (trial, attempt, retry, seed, values).
    public private(set) var calls:
        [(trial: Int, attempt: Int, retry: Int, seed: UInt64, values: [String: HyperParameterValue])] = []
    private let script: (Int, Int) -> ScriptedAction?
    private let fallback: ScriptedAction
    /// Runs during each call before the action, e.g. to look at the journal.
    public var onCall: ((TrialContext) -> Void)?

    /// Makes a body: `script(trial, retry)` or, when it returns nil, `default`.
    public init(
        default fallback: ScriptedAction = .complete([0.5]),
        _ script: @escaping (Int, Int) -> ScriptedAction? = { _, _ in nil }
    ) {
        self.fallback = fallback
        self.script = script
    }

    /// Runs one attempt as scripted.
    public func run(_ context: TrialContext) throws -> TrialResult {
        calls.append((context.number, context.attempt, context.retry, context.seed, context.hyperparameters.values))
        onCall?(context)
        switch script(context.number, context.retry) ?? fallback {
        case .complete(let values):
            return TrialResult(history: values.map { ["val_loss": $0, "loss": $0 * 0.9] })
        case .error(let message):
            throw ValueError(message)
        case .failedTrial(let message):
            throw FailedTrialError(message)
        case .fatal(let message):
            throw FatalError(message)
        case .metrics(let metrics):
            return TrialResult(metrics: metrics)
        }
    }
}

/// A fresh temporary directory, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The directory's path.
    public let path: String

    /// Makes the directory.
    public init() {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("swifttuner-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A small search space: one Int of `count` values (`x` = 0…count-1).
public func lineSpace(_ count: Int) throws -> HyperParameters {
    let hp = HyperParameters()
    try hp.int("x", min: 0, max: count - 1)
    return hp
}
