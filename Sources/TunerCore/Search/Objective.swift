/// What a search optimizes: a metric name and a direction.
///
/// The direction is inferred from the name as KerasTuner does (`loss`, `error` → min;
/// `accuracy`, `auc` → max, ignoring a `val_` prefix), or given explicitly.
///
/// ```swift
/// let objective = try Objective("val_loss")                    // direction .min
/// let custom = Objective("val_f1", direction: .max)
/// ```
public struct Objective: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Whether smaller or larger is better.
    public enum Direction: String, Hashable, Sendable, Codable {
        /// Smaller is better.
        case min
        /// Larger is better.
        case max
    }

    /// The metric's name, as the trial reports it.
    public var name: String
    /// Whether smaller or larger is better.
    public var direction: Direction

    /// Makes an objective with an explicit direction.
    public init(_ name: String, direction: Direction) {
        self.name = name
        self.direction = direction
    }

    /// Makes an objective, inferring the direction from the metric's name.
    ///
    /// - Throws: ``SearchConfigurationError`` when the name gives no direction.
    public init(_ name: String) throws {
        guard let direction = Self.inferDirection(name) else {
            throw SearchConfigurationError("Could not infer the optimization direction of the objective \"\(name)\": give it explicitly, as Objective(\"\(name)\", direction: .min) or .max.")
        }
        self.init(name, direction: direction)
    }

    /// The direction KerasTuner infers for a metric name, or `nil` when it cannot.
    public static func inferDirection(_ name: String) -> Direction? {
        var base = name.lowercased()
        if base.hasPrefix("val_") { base.removeFirst(4) }
        let minimized = ["loss", "mse", "mae", "mape", "msle", "error", "crossentropy", "hinge", "kl_divergence",
                         "kld", "logcosh", "poisson", "rmse", "mean_squared", "mean_absolute"]
        let maximized = ["acc", "accuracy", "auc", "precision", "recall", "f1", "r2", "iou", "score"]
        if minimized.contains(where: { base == $0 || base.contains($0) }) { return .min }
        if maximized.contains(where: { base == $0 || base.contains($0) }) { return .max }
        return nil
    }

    /// Whether `a` is strictly better than `b`.
    public func isBetter(_ a: Double, than b: Double) -> Bool {
        direction == .min ? a < b : a > b
    }

    /// KerasTuner's rendering: `Objective(name="val_loss", direction="min")`.
    public var description: String { "Objective(name=\"\(name)\", direction=\"\(direction.rawValue)\")" }
}
