/// What a search optimizes: a metric name and a direction.
///
/// The direction is inferred from a known metric name as KerasTuner does (`loss`, `mse` →
/// min; `accuracy`, `auc` → max, ignoring a `val_` prefix), or given explicitly (S11a).
///
/// ```swift
/// let objective: Objective = "val_loss"                      // direction .min, inferred
/// let custom = Objective("val_f1", direction: .max)
/// ```
public struct Objective: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// Whether smaller or larger is better.
    public enum Direction: String, Hashable, Sendable, Codable, CaseIterable {
        /// Smaller is better.
        case min
        /// Larger is better.
        case max
    }

    /// The metric's name, as the trial reports it.
    public var name: String
    /// Whether smaller or larger is better.
    public var direction: Direction
    /// Whether the direction could not be inferred from a literal name (the tuner refuses it).
    public private(set) var directionIsUnknown = false

    private enum CodingKeys: String, CodingKey { case name, direction }

    /// Makes an objective with an explicit direction.
    public init(_ name: String, direction: Direction) {
        self.name = name
        self.direction = direction
    }

    /// Makes an objective from a literal name, inferring its direction. A name with no
    /// inferable direction is refused when the tuner is made; give the direction explicitly.
    public init(stringLiteral name: String) {
        self.init(name, direction: Objective.inferDirection(name) ?? .min)
        directionIsUnknown = Objective.inferDirection(name) == nil
    }

    /// Objectives are equal when their names and directions are.
    public static func == (a: Objective, b: Objective) -> Bool { a.name == b.name && a.direction == b.direction }

    /// Hashes the name and direction.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(direction)
    }

    /// Checks that the objective is usable: a name, and a direction that was given or inferred.
    public func validate() throws {
        if name.isEmpty { throw SearchConfigurationError("the objective's name is empty") }
        if directionIsUnknown {
            throw SearchConfigurationError(
                "Could not infer the optimization direction of the objective \"\(name)\": give it explicitly, as " +
                    "Objective(\"\(name)\", direction: .min) or .max."
            )
        }
    }

    /// Makes an objective, inferring the direction from the metric's name.
    ///
    /// - Throws: ``SearchConfigurationError`` when the name gives no direction.
    public init(inferring name: String) throws {
        self.init(stringLiteral: name)
        try validate()
    }

    /// Metric names whose direction is known (S11a): Keras's losses and metrics, by their
    /// names and usual short forms, after any `val_` prefix.
    static let minimized: Set<String> = [
        "loss", "mse", "mae", "mape", "msle", "rmse", "mean_squared_error", "mean_absolute_error",
        "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "root_mean_squared_error",
        "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "crossentropy",
        "hinge", "squared_hinge", "categorical_hinge", "kl_divergence", "kld", "kullback_leibler_divergence",
        "logcosh", "log_cosh", "poisson", "huber", "error", "false_positives", "false_negatives",
    ]
    /// Metric names that are maximized (S11a).
    static let maximized: Set<String> = [
        "acc", "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
        "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "auc", "prc", "precision", "recall",
        "f1", "f1_score", "fbeta_score", "r2", "r2_score", "iou", "mean_iou", "one_hot_iou", "one_hot_mean_iou",
        "binary_iou", "cosine_similarity", "true_positives", "true_negatives", "precision_at_recall",
        "recall_at_precision", "sensitivity_at_specificity", "specificity_at_sensitivity",
    ]

    /// The direction of a known metric name, or `nil` for any other name (S11a): only names
    /// whose meaning is known decide, so `val_brier_score` needs an explicit direction
    /// rather than being maximized because it contains "score".
    public static func inferDirection(_ name: String) -> Direction? {
        var base = name.lowercased()
        if base.hasPrefix("val_") { base.removeFirst(4) }
        if minimized.contains(base) { return .min }
        if maximized.contains(base) { return .max }
        return nil
    }

    /// Whether `a` is strictly better than `b`.
    public func isBetter(_ a: Double, than b: Double) -> Bool {
        direction == .min ? a < b : a > b
    }

    /// KerasTuner's rendering: `Objective(name="val_loss", direction="min")`.
    public var description: String { "Objective(name=\"\(name)\", direction=\"\(direction.rawValue)\")" }
}
