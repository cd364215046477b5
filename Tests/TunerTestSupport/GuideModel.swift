import Foundation
import TunerCore
import TunerEngine

/// A small dense network's shape, as the guide "Handling failed trials in KerasTuner" builds
/// it, with a stand-in trainer: its loss curve is a deterministic function of its size, the
/// data and the trial seed. Tests and examples use it to exercise the search engine; the
/// built-in MLP trainer is the real one.
///
/// ```swift
/// let model = GuideModel(units: [30, 20], inputSize: 20)
/// model.parameterCount   // 1271, as Keras' count_params()
/// ```
public struct GuideModel: FittableModel, Sendable {
    /// The units of each Dense layer, the output layer of one unit included.
    public var layers: [Int]
    /// The number of input features.
    public var inputSize: Int

    /// Makes a model of Dense layers of `units`, then a one-unit output layer.
    public init(units: [Int], inputSize: Int) {
        self.layers = units + [1]
        self.inputSize = inputSize
    }

    /// Weights and biases, as Keras' `count_params()`.
    public var parameterCount: Int {
        var total = 0
        var fanIn = inputSize
        for units in layers {
            total += fanIn * units + units
            fanIn = units
        }
        return total
    }

    /// "Trains" for `epochs` epochs: a decreasing, seeded loss curve, `loss` and `val_loss`.
    public func fit(
        x: [[Double]], y: [[Double]], validationData: ([[Double]], [[Double]])?, epochs: Int,
        context: TrialContext
    ) throws -> TrialResult {
        var rng = SplitMix64(seed: context.seed)
        let size = Double(parameterCount)
        let floor = 0.08 + 0.02 * abs(log(size / 900))
        var history: [[String: Double]] = []
        var loss = 0.6 + 0.1 * rng.nextDouble()
        for _ in 0..<max(1, epochs) {
            loss = floor + (loss - floor) * (0.7 + 0.05 * rng.nextDouble())
            var metrics = ["loss": loss]
            if validationData != nil { metrics["val_loss"] = loss * (1.05 + 0.05 * rng.nextDouble()) }
            history.append(metrics)
        }
        return TrialResult(history: history)
    }
}

/// Uniform random numbers in [0, 1), like `np.random.rand(rows, columns)`, from a seed.
public func randomMatrix(rows: Int, columns: Int, seed: UInt64) -> [[Double]] {
    var rng = SplitMix64(seed: seed)
    return (0..<rows).map { _ in (0..<columns).map { _ in rng.nextDouble() } }
}

/// The guide's three scenarios: what `build_model` raises for a model over 1,200 parameters.
public enum GuideScenario: String, CaseIterable, Sendable {
    /// A plain error: retried, then FAILED; the search tolerates the failures.
    case tolerate
    /// `FailedTrialError`: FAILED at once, no retry.
    case failed
    /// `FatalError`: the search stops.
    case fatal

    /// The guide's `build_model` for this scenario: units_1 in 10…40 step 10, units_2 in
    /// 10…30 step 10, and the error when the model has more than 1,200 parameters.
    public func buildModel(_ hp: HyperParameters) throws -> GuideModel {
        let units1 = try hp.int("units_1", min: 10, max: 40, step: 10)
        let units2 = try hp.int("units_2", min: 10, max: 30, step: 10)
        let model = GuideModel(units: [units1, units2], inputSize: 20)
        try refuseIfTooLarge(model.parameterCount)
        return model
    }

    /// Throws this scenario's error for a model over 1,200 parameters, as the guide's `build_model`.
    package func refuseIfTooLarge(_ count: Int) throws {
        guard count > 1200 else { return }
        let message = "Model too large! It contains \(count) params."
        switch self {
        case .tolerate: throw ValueError(message)
        case .failed: throw FailedTrialError(message)
        case .fatal: throw FatalError(message)
        }
    }

    /// The guide's data: x, y and validation data of 100 rows from `np.random.rand`.
    public static func data(seed: UInt64 = 0) -> (x: [[Double]], y: [[Double]], validation: ([[Double]], [[Double]])) {
        (
            randomMatrix(rows: 100, columns: 20, seed: seed), randomMatrix(rows: 100, columns: 1, seed: seed + 1),
            (randomMatrix(rows: 100, columns: 20, seed: seed + 2), randomMatrix(rows: 100, columns: 1, seed: seed + 3))
        )
    }
}
