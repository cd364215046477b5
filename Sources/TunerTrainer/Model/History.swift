/// The per-epoch metrics of a `fit`: `loss`, `val_loss` and each metric, as Keras' `History`.
///
/// ```swift
/// let history = try model.fit(x: x, y: y, epochs: 10, validationData: (xv, yv))
/// print(history["val_loss"].min() ?? .nan)
/// ```
public struct History: Sendable, Equatable {
    /// One dictionary per epoch that ran.
    public var epochs: [[String: Double]] = []
    /// The epoch early stopping stopped after (0-based), if it did.
    public var stoppedEpoch: Int?
    /// Whether training stopped on a NaN or infinite loss.
    public var terminatedOnNaN = false

    /// Makes an empty history.
    public init() {}

    /// The values of one metric across epochs.
    public subscript(name: String) -> [Double] { epochs.compactMap { $0[name] } }

    /// The metric names, sorted.
    public var metricNames: [String] { Array(Set(epochs.flatMap(\.keys))).sorted() }
}

/// Stops training when a monitored metric stops improving, as Keras' `EarlyStopping`.
///
/// ```swift
/// EarlyStopping(monitor: "val_loss", patience: 3, restoreBestWeights: true)
/// ```
public struct EarlyStopping: Sendable, Equatable {
    /// The metric watched (`val_loss` by default).
    public var monitor: String
    /// The smallest change that counts as an improvement.
    public var minDelta: Double
    /// Epochs without improvement before stopping.
    public var patience: Int
    /// Whether to restore the weights of the best epoch when training ends.
    public var restoreBestWeights: Bool
    /// Whether larger is better; by default inferred from the name (`acc`, `auc` → larger).
    public var maximize: Bool

    /// Makes the callback.
    public init(
        monitor: String = "val_loss", minDelta: Double = 0, patience: Int = 0,
        restoreBestWeights: Bool = false, maximize: Bool? = nil
    ) {
        self.monitor = monitor
        self.minDelta = abs(minDelta)
        self.patience = max(0, patience)
        self.restoreBestWeights = restoreBestWeights
        self.maximize = maximize ?? (monitor.contains("acc") || monitor.contains("auc"))
    }

    func improves(_ value: Double, on best: Double?) -> Bool {
        guard let best else { return value.isFinite }
        return maximize ? value - minDelta > best : value + minDelta < best
    }
}
