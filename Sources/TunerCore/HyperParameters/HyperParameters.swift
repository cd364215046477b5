/// The hyperparameters of one trial, and the registry that defines the search space.
///
/// A hypermodel declares each hyperparameter where it uses it, as with KerasTuner's `hp`:
/// the call defines the hyperparameter the first time and returns the trial's value.
///
/// ```swift
/// func buildModel(_ hp: HyperParameters) throws -> MyModel {
///     let units1 = try hp.int("units_1", min: 10, max: 40, step: 10)
///     let optimizer = try hp.choice("optimizer", ["adam", "sgd"])
///     try hp.conditionalScope("optimizer", ["sgd"]) {
///         _ = try hp.float("momentum", min: 0, max: 0.9, step: 0.3)
///     }
///     return MyModel(units: units1, optimizer: optimizer)
/// }
/// ```
public final class HyperParameters {
    /// The definitions registered so far, in registration order.
    public private(set) var space: SearchSpace
    /// The values of this trial's active hyperparameters.
    public private(set) var values: [String: HyperParameterValue]
    private var scopes: [HyperParameterDefinition.Condition] = []
    /// The names this registry was asked for, in the order of the first request: the order a
    /// hypermodel registers its hyperparameters in on this path through its scopes.
    public private(set) var requestOrder: [String] = []

    /// Makes an empty registry, whose hyperparameters take their defaults.
    public init() {
        space = SearchSpace()
        values = [:]
    }

    /// Makes the hyperparameters of a trial: `values` for the space's active names, plus the
    /// values a tuner adds outside the space (Hyperband's `tuner/epochs`, …).
    public init(space: SearchSpace, values: [String: HyperParameterValue]) {
        self.space = space
        var resolved = space.resolve(values)
        for (name, value) in values where name.hasPrefix("tuner/") { resolved[name] = value }
        self.values = resolved
    }

    /// The value of `name`, if it is active in this trial.
    public subscript(name: String) -> HyperParameterValue? { values[name] }

    /// The trial's values in space order.
    public var orderedValues: [(name: String, value: HyperParameterValue)] { space.ordered(values) }

    /// Defines (or looks up) an integer hyperparameter and returns its value.
    ///
    /// - Parameters:
    ///   - step: the distance between values (`log` sampling multiplies by it); `nil` means 1.
    ///   - defaultValue: the first grid value; `min` when `nil`.
    /// - Throws: ``HyperParameterError`` for an invalid range or a conflicting redefinition.
    @discardableResult
    public func int(
        _ name: String, min: Int, max: Int, step: Int? = nil, sampling: Sampling = .linear,
        default defaultValue: Int? = nil
    ) throws -> Int {
        let v = try register(
            name, .int(min: min, max: max, step: step, sampling: sampling), defaultValue.map { .int($0) })
        if case .int(let i) = v { return i }
        throw HyperParameterError(name: name, reason: "holds \(v), not an int")
    }

    /// Defines (or looks up) a float hyperparameter and returns its value.
    ///
    /// Without a step, grids use ten values spaced in the sampling's scale.
    @discardableResult
    public func float(
        _ name: String, min: Double, max: Double, step: Double? = nil, sampling: Sampling = .linear,
        default defaultValue: Double? = nil
    ) throws -> Double {
        let v = try register(
            name, .float(min: min, max: max, step: step, sampling: sampling), defaultValue.map { .float($0) })
        if case .float(let d) = v { return d }
        if case .int(let i) = v { return Double(i) }
        throw HyperParameterError(name: name, reason: "holds \(v), not a float")
    }

    /// Defines (or looks up) a choice among strings and returns the trial's choice.
    @discardableResult
    public func choice(_ name: String, _ values: [String], ordered: Bool = false, default defaultValue: String? = nil)
        throws -> String
    {
        let v = try register(
            name, .choice(values: values.map { .string($0) }, ordered: ordered), defaultValue.map { .string($0) })
        if case .string(let s) = v { return s }
        throw HyperParameterError(name: name, reason: "holds \(v), not a string")
    }

    /// Defines (or looks up) a choice among integers and returns the trial's choice.
    @discardableResult
    public func choice(_ name: String, _ values: [Int], ordered: Bool = true, default defaultValue: Int? = nil) throws
        -> Int
    {
        let v = try register(
            name, .choice(values: values.map { .int($0) }, ordered: ordered), defaultValue.map { .int($0) })
        if case .int(let i) = v { return i }
        throw HyperParameterError(name: name, reason: "holds \(v), not an int")
    }

    /// Defines (or looks up) a choice among floats and returns the trial's choice.
    @discardableResult
    public func choice(_ name: String, _ values: [Double], ordered: Bool = true, default defaultValue: Double? = nil)
        throws -> Double
    {
        let v = try register(
            name, .choice(values: values.map { .float($0) }, ordered: ordered), defaultValue.map { .float($0) })
        if case .float(let d) = v { return d }
        throw HyperParameterError(name: name, reason: "holds \(v), not a float")
    }

    /// Defines (or looks up) a choice among values of any one type.
    @discardableResult
    public func choice(
        _ name: String, values: [HyperParameterValue], ordered: Bool = false,
        default defaultValue: HyperParameterValue? = nil
    ) throws -> HyperParameterValue {
        try register(name, .choice(values: values, ordered: ordered), defaultValue)
    }

    /// Defines (or looks up) a Boolean hyperparameter and returns its value.
    @discardableResult
    public func boolean(_ name: String, default defaultValue: Bool = false) throws -> Bool {
        let v = try register(name, .boolean, .bool(defaultValue))
        if case .bool(let b) = v { return b }
        throw HyperParameterError(name: name, reason: "holds \(v), not a Boolean")
    }

    /// Defines a fixed value: recorded with the trial, never searched.
    @discardableResult
    public func fixed(_ name: String, _ value: HyperParameterValue) throws -> HyperParameterValue {
        try register(name, .fixed(value), nil)
    }

    /// Runs `body` only when `parent` takes one of `parentValues`; the hyperparameters
    /// defined inside are active only then.
    ///
    /// - Returns: `body`'s result, or `nil` when the scope is inactive.
    @discardableResult
    public func conditionalScope<T>(
        _ parent: String, _ parentValues: [HyperParameterValue],
        _ body: () throws -> T
    ) throws -> T? {
        guard space[parent] != nil else {
            throw HyperParameterError(name: parent, reason: "a conditional scope names it before it is defined")
        }
        let condition = HyperParameterDefinition.Condition(parent: parent, values: parentValues)
        guard let parentValue = values[parent], parentValues.contains(parentValue) else { return nil }
        scopes.append(condition)
        defer { scopes.removeLast() }
        return try body()
    }

    /// String shorthand of ``conditionalScope(_:_:_:)-(_,[HyperParameterValue],_)``.
    @discardableResult
    public func conditionalScope<T>(_ parent: String, _ parentValues: [String], _ body: () throws -> T) throws -> T? {
        try conditionalScope(parent, parentValues.map { .string($0) }, body)
    }

    /// Sets the value of an already defined hyperparameter (used to explore conditional branches).
    public func setValue(_ value: HyperParameterValue, for name: String) {
        values[name] = value
        values = space.resolve(values)
    }

    private func register(
        _ name: String, _ kind: HyperParameterDefinition.Kind,
        _ defaultValue: HyperParameterValue?
    ) throws -> HyperParameterValue {
        let definition = try HyperParameterDefinition(
            name: name, kind: kind, defaultValue: defaultValue, conditions: scopes)
        if !requestOrder.contains(name) { requestOrder.append(name) }
        if let existing = space[name] {
            guard existing.kind == definition.kind else {
                throw HyperParameterError(
                    name: name,
                    reason:
                        "defined twice with different ranges: " +
                            "\(HyperParameterDefinition.rangeDescription(existing.kind)) and " +
                            "\(HyperParameterDefinition.rangeDescription(kind))"
                )
            }
        } else {
            try space.add(definition)
        }
        if let v = values[name] { return v }
        let v = (space[name] ?? definition).defaultValue
        if (space[name] ?? definition).isActive(in: values) { values[name] = v }
        return v
    }
}
