/// What a search optimizes: a metric name and a direction.
///
/// The direction is inferred from the name as KerasTuner does (`loss`, `error` → min;
/// `accuracy`, `auc` → max, ignoring a `val_` prefix), or given explicitly.
///
/// ```swift
/// let objective: Objective = "val_loss"                      // direction .min, inferred
/// let custom = Objective("val_f1", direction: .max)
/// ```
public struct Objective: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
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
            throw SearchConfigurationError("Could not infer the optimization direction of the objective \"\(name)\": give it explicitly, as Objective(\"\(name)\", direction: .min) or .max.")
        }
    }

    /// Makes an objective, inferring the direction from the metric's name.
    ///
    /// - Throws: ``SearchConfigurationError`` when the name gives no direction.
    public init(inferring name: String) throws {
        self.init(stringLiteral: name)
        try validate()
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
