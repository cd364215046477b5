import TunerCore

/// What one attempt of a trial is given: its id, its hyperparameters and its seed.
///
/// ```swift
/// try tuner.search { context in
///     let lr = context.hyperparameters["learning_rate"]?.doubleValue ?? 1e-3
///     return TrialResult(metrics: ["val_loss": train(lr: lr, seed: context.seed)])
/// }
/// ```
public struct TrialContext {
    /// The trial number, from 0.
    public let number: Int
    /// The attempt number within the trial, from 1 (re-runs after interruptions count too).
    public let attempt: Int
    /// The number of counted attempts before this one: 0 first, 1 for the first retry.
    /// Interrupted attempts do not count, so a resumed search sees what an uninterrupted one would.
    public let retry: Int
    /// The trial seed (S31): the same for every attempt of the trial.
    public let seed: UInt64
    /// The trial's hyperparameters.
    public let hyperparameters: HyperParameters
    /// The trial's own folder (`<study>/trials/trial_0007`), for outputs and checkpoints.
    public var directory: String = ""
    /// Call after each epoch (`epoch` from 1, of `epochs`) to show the progress line.
    public var reportEpoch: (_ epoch: Int, _ epochs: Int) -> Void = { _, _ in }
    /// Fires when the search is stopping on a signal: a trial that runs a process kills it.
    public var stop = StopSignal()

    /// The zero-padded trial id, `0007`.
    public var trialID: String { TunerCore.trialID(number) }
}

/// The metrics an attempt reports: one dictionary per epoch (a learning curve), or one.
///
/// The trial's score is the objective's best value over the epochs, as in KerasTuner, and
/// the metrics journaled with the trial are those of that epoch.
///
/// ```swift
/// TrialResult(metrics: ["val_loss": 0.12])
/// TrialResult(history: [["loss": 0.5, "val_loss": 0.6], ["loss": 0.3, "val_loss": 0.4]])
/// ```
public struct TrialResult: Sendable, Equatable {
    /// Metrics per epoch.
    public var history: [[String: Double]]

    /// Makes a result from per-epoch metrics.
    public init(history: [[String: Double]]) { self.history = history }

    /// Makes a result of a single set of metrics.
    public init(metrics: [String: Double]) { self.history = [metrics] }

    /// The names of the metrics reported in any epoch.
    public var metricNames: [String] { Array(Set(history.flatMap(\.keys))).sorted() }

    /// The best epoch for an objective: its index, value and metrics; `nil` when no epoch
    /// reports the objective. The value is NaN when no epoch's value is finite.
    public func best(for objective: Objective) -> (epoch: Int, value: Double, metrics: [String: Double])? {
        var best: (epoch: Int, value: Double, metrics: [String: Double])?
        var reported: (epoch: Int, value: Double, metrics: [String: Double])?
        for (epoch, metrics) in history.enumerated() {
            guard let value = metrics[objective.name] else { continue }
            if reported == nil { reported = (epoch, value, metrics) }
            guard value.isFinite else { continue }
            if let current = best, !objective.isBetter(value, than: current.value) { continue }
            best = (epoch, value, metrics)
        }
        if let best { return best }
        guard let reported else { return nil }
        return (reported.epoch, reported.value.isNaN ? .nan : reported.value, reported.metrics)
    }
}

/// A model a hypermodel builds and the tuner trains: KerasTuner's `model.fit`.
///
/// The built-in MLP trainer conforms; so can any trainer.
///
/// ```swift
/// struct Toy: FittableModel {
///     func fit(x: [Double], y: [Double], validationData: ([Double], [Double])?, epochs: Int,
///              context: TrialContext) throws -> TrialResult { TrialResult(metrics: ["val_loss": 1]) }
/// }
/// ```
public protocol FittableModel {
    /// The type of the inputs.
    associatedtype Features
    /// The type of the targets.
    associatedtype Targets
    /// Trains the model and returns its per-epoch metrics.
    func fit(
        x: Features, y: Targets, validationData: (Features, Targets)?, epochs: Int,
        context: TrialContext
    ) throws -> TrialResult
}
