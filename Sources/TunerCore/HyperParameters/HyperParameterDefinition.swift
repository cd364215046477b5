import Foundation

/// The definition of one hyperparameter: its name, its kind and range, its default, and
/// the conditions under which it is active.
///
/// Definitions are made through ``HyperParameters`` (`hp.int(…)`, `hp.choice(…)`) and are
/// journaled as JSON, so a resumed study can check that its search space did not change.
public struct HyperParameterDefinition: Hashable, Sendable, Codable {
    /// The kind of a hyperparameter, with its range.
    public enum Kind: Hashable, Sendable, Codable {
        /// An integer in `min...max`, optionally stepped.
        case int(min: Int, max: Int, step: Int?, sampling: Sampling)
        /// A float in `min...max`, optionally stepped.
        case float(min: Double, max: Double, step: Double?, sampling: Sampling)
        /// One of a list of values of one type.
        case choice(values: [HyperParameterValue], ordered: Bool)
        /// `false` or `true`.
        case boolean
        /// A single fixed value.
        case fixed(HyperParameterValue)
    }

    /// The hyperparameter's name, unique in its search space.
    public var name: String
    /// The kind and range.
    public var kind: Kind
    /// The value used by the first trial of a grid and when the hyperparameter is inactive.
    public var defaultValue: HyperParameterValue
    /// Conditions that must all hold for the hyperparameter to be active.
    public var conditions: [Condition]

    /// A condition: the hyperparameter is active when `parent` takes one of `values`.
    public struct Condition: Hashable, Sendable, Codable {
        /// The name of the parent hyperparameter.
        public var parent: String
        /// The parent values that activate the child.
        public var values: [HyperParameterValue]

        /// Makes a condition on `parent` taking one of `values`.
        public init(parent: String, values: [HyperParameterValue]) {
            self.parent = parent
            self.values = values
        }
    }

    /// Makes a definition, checking its range, sampling and default.
    ///
    /// - Throws: ``HyperParameterError`` when the definition is invalid.
    public init(
        name: String, kind: Kind, defaultValue: HyperParameterValue? = nil,
        conditions: [Condition] = []
    ) throws {
        self.name = name
        self.kind = kind
        self.conditions = conditions
        self.defaultValue = .int(0)
        try Self.validate(name: name, kind: kind)
        let natural = Self.naturalDefault(kind)
        if let given = defaultValue {
            let coerced = Self.coerce(given, to: kind)
            guard Self.contains(coerced, kind: kind) else {
                throw HyperParameterError(
                    name: name, reason: "default \(given) is not in \(Self.rangeDescription(kind))")
            }
            self.defaultValue = coerced
        } else {
            self.defaultValue = natural
        }
    }

    /// The type word KerasTuner's `search_space_summary` prints.
    public var className: String {
        switch kind {
        case .int: "Int"
        case .float: "Float"
        case .choice: "Choice"
        case .boolean: "Boolean"
        case .fixed: "Fixed"
        }
    }

    /// Whether the hyperparameter is active given the values of the others.
    public func isActive(in values: [String: HyperParameterValue]) -> Bool {
        conditions.allSatisfy { condition in
            guard let parentValue = values[condition.parent] else { return false }
            return condition.values.contains(parentValue)
        }
    }

    /// Every value a grid search enumerates, the default first, then the others in order.
    ///
    /// Int: `min, min+step, …, max` (log sampling with a step multiplies by it); Float
    /// without a step: ten values evenly spaced in the sampling's scale; a stepped Float
    /// includes its maximum when the step lands on it.
    public var gridValues: [HyperParameterValue] {
        var values = orderedValues
        if let index = values.firstIndex(of: defaultValue) {
            values.remove(at: index)
        }
        return [defaultValue] + values
    }

    /// The value set in natural order (without moving the default first).
    public var orderedValues: [HyperParameterValue] {
        switch kind {
        case let .int(min, max, step, sampling):
            return Self.intValues(min: min, max: max, step: step, sampling: sampling).map { .int($0) }
        case let .float(min, max, step, sampling):
            return Self.floatValues(min: min, max: max, step: step, sampling: sampling).map { .float($0) }
        case let .choice(values, _):
            return values
        case .boolean:
            return [.bool(false), .bool(true)]
        case let .fixed(value):
            return [value]
        }
    }

    /// Draws a value uniformly in the sampling's scale from a seeded generator.
    public func sample(using rng: inout SplitMix64) -> HyperParameterValue {
        switch kind {
        case let .int(min, max, step, sampling):
            if let step, step > 0, sampling == .linear {
                let count = (max - min) / step + 1
                return .int(min + step * rng.nextInt(below: count))
            }
            if let step, step > 1 {
                let values = Self.intValues(min: min, max: max, step: step, sampling: sampling)
                return .int(values[rng.nextInt(below: values.count)])
            }
            if sampling == .linear {
                return .int(min + rng.nextInt(below: max - min + 1))
            }
            let x = Self.probabilityToValue(
                rng.nextDouble(), min: Double(min), max: Double(max) + 1, sampling: sampling)
            return .int(Swift.min(max, Swift.max(min, Int(x.rounded(.down)))))
        case let .float(min, max, step, sampling):
            if let step, step > 0, sampling == .linear || step <= 1 {
                // The k-th value of the stepped range, drawn without listing the range.
                let count = (Self.steppedCount(min: min, max: max, step: step) ?? 0) + 1
                return .float(Self.steppedValue(min: min, step: step, index: rng.nextInt(below: count)))
            }
            if let step, step > 0 {
                let values = Self.floatValues(min: min, max: max, step: step, sampling: sampling)
                return .float(values[rng.nextInt(below: values.count)])
            }
            return .float(Self.probabilityToValue(rng.nextDouble(), min: min, max: max, sampling: sampling))
        case let .choice(values, _):
            return values[rng.nextInt(below: values.count)]
        case .boolean:
            return .bool(rng.nextInt(below: 2) == 1)
        case let .fixed(value):
            return value
        }
    }

    // MARK: - Value sets

    /// The most values a stepped range may have: more cannot be listed or searched.
    public static let maxValueCount = 10_000_000

    /// The probabilities KerasTuner lists a range without a step at: 0.05, 0.15, …, 0.95.
    static let stepless = (0..<10).map { (Double($0) + 0.5) / 10 }

    static func intValues(min: Int, max: Int, step: Int?, sampling: Sampling) -> [Int] {
        if sampling != .linear, let step, step > 1 {
            // log: min·s^i up to max; reverse_log: max + min − min·s^i (KerasTuner's values).
            var values: [Int] = []
            var power = min
            while power <= max, values.count < maxValueCount {
                values.append(sampling == .log ? power : max - power + min)
                let (next, overflow) = power.multipliedReportingOverflow(by: step)
                if overflow { break }
                power = next
            }
            return values
        }
        if sampling != .linear {
            // Without a step: the ten values of the sampling's quantiles, ascending, distinct.
            var values: [Int] = []
            for p in stepless {
                let x = probabilityToValue(p, min: Double(min), max: Double(max) + 1, sampling: sampling)
                let v = Swift.min(max, Swift.max(min, Int(x.rounded(.down))))
                if values.last != v { values.append(v) }
            }
            return values
        }
        return Array(stride(from: min, through: max, by: step ?? 1))
    }

    static func floatValues(min: Double, max: Double, step: Double?, sampling: Sampling) -> [Double] {
        guard let step, step > 0 else {
            if min == max { return [min] }
            return stepless.map { probabilityToValue($0, min: min, max: max, sampling: sampling) }
        }
        if sampling != .linear && step > 1 {
            var values: [Double] = []
            var power = min
            let limit = max * (1 + 1e-9)
            while power <= limit, power.isFinite, values.count < maxValueCount {
                values.append(sampling == .log ? power : max - power + min)
                power *= step
            }
            return values
        }
        guard let count = steppedCount(min: min, max: max, step: step) else { return [min] }
        return (0...count).map { steppedValue(min: min, step: step, index: $0) }
    }

    /// The index of a stepped range's last value, counted with a tolerance so that 0…1 step
    /// 0.2 includes 1.0; `nil` when the range has more than ``maxValueCount`` values.
    static func steppedCount(min: Double, max: Double, step: Double) -> Int? {
        let count = ((max - min) / step * (1 + 1e-9)).rounded(.down)
        guard count.isFinite, count >= 0, count < Double(maxValueCount) else { return nil }
        return Int(count)
    }

    /// A stepped range's value at `index`, snapped to the step's decimal precision where that
    /// is exact (print-friendly: 0.1 · 3 is 0.3).
    static func steppedValue(min: Double, step: Double, index: Int) -> Double {
        let v = min + Double(index) * step
        let scaled = v * 1e12
        return scaled.magnitude < 9e15 ? scaled.rounded() / 1e12 : v
    }

    public static func probabilityToValue(_ p: Double, min: Double, max: Double, sampling: Sampling) -> Double {
        switch sampling {
        case .linear:
            return min + p * (max - min)
        case .log:
            return min * Foundation.pow(max / min, p)
        case .reverseLog:
            return max + min - min * Foundation.pow(max / min, 1 - p)
        }
    }

    /// Maps a value of the range to a probability in [0, 1] in the sampling's scale.
    public static func valueToProbability(_ v: Double, min: Double, max: Double, sampling: Sampling) -> Double {
        guard max > min else { return 0.5 }
        switch sampling {
        case .linear:
            return (v - min) / (max - min)
        case .log:
            return Foundation.log(v / min) / Foundation.log(max / min)
        case .reverseLog:
            return 1 - Foundation.log((max + min - v) / min) / Foundation.log(max / min)
        }
    }

    // MARK: - Validation

    static func validate(name: String, kind: Kind) throws {
        guard !name.isEmpty else { throw HyperParameterError(name: name, reason: "the name is empty") }
        switch kind {
        case let .int(min, max, step, sampling):
            if min > max {
                throw HyperParameterError(name: name, reason: "min_value \(min) is greater than max_value \(max)")
            }
            if let step, step <= 0 { throw HyperParameterError(name: name, reason: "step \(step) must be positive") }
            let (width, overflow) = max.subtractingReportingOverflow(min)
            if overflow || width == Int.max {
                throw HyperParameterError(
                    name: name, reason: "the range \(min)…\(max) is wider than an integer can count")
            }
            if sampling == .linear, width / (step ?? 1) >= maxValueCount {
                throw HyperParameterError(
                    name: name,
                    reason: "step \(step ?? 1) is too small for \(min)…\(max): more than \(maxValueCount) values")
            }
            if sampling != .linear && min <= 0 {
                throw HyperParameterError(
                    name: name, reason: "\(sampling.rawValue) sampling needs min_value > 0, got \(min)")
            }
        case let .float(min, max, step, sampling):
            if !min.isFinite || !max.isFinite {
                throw HyperParameterError(name: name, reason: "the range must be finite")
            }
            if min > max {
                throw HyperParameterError(
                    name: name, reason: "min_value \(formatG5(min)) is greater than max_value \(formatG5(max))")
            }
            if let step, !(step > 0) {
                throw HyperParameterError(name: name, reason: "step \(formatG5(step)) must be positive")
            }
            if !(max - min).isFinite {
                throw HyperParameterError(
                    name: name, reason: "the range \(formatG5(min))…\(formatG5(max)) is wider than a float can hold")
            }
            if let step, sampling == .linear || step <= 1, steppedCount(min: min, max: max, step: step) == nil {
                throw HyperParameterError(
                    name: name,
                    reason:
                        "step \(formatG5(step)) is too small for \(formatG5(min))…\(formatG5(max)): more than " +
                            "\(maxValueCount) values"
                )
            }
            if sampling != .linear && min <= 0 {
                throw HyperParameterError(
                    name: name, reason: "\(sampling.rawValue) sampling needs min_value > 0, got \(formatG5(min))")
            }
        case let .choice(values, _):
            guard let first = values.first else {
                throw HyperParameterError(name: name, reason: "a Choice needs at least one value")
            }
            let types = Set(values.map(\.typeName))
            if types.count > 1 {
                throw HyperParameterError(
                    name: name,
                    reason:
                        "a Choice's values must all have one type, got \(types.sorted().joined(separator: " and ")) " +
                            "(first value \(first))"
                )
            }
            if Set(values).count != values.count {
                throw HyperParameterError(name: name, reason: "a Choice's values must be distinct")
            }
            if case .float(let v) = first, values.contains(where: { !($0.doubleValue ?? 0).isFinite }) || !v.isFinite {
                throw HyperParameterError(name: name, reason: "a Choice's values must be finite")
            }
        case .boolean:
            break
        case let .fixed(value):
            if case .float(let v) = value, !v.isFinite {
                throw HyperParameterError(name: name, reason: "a Fixed value must be finite")
            }
        }
    }

    static func naturalDefault(_ kind: Kind) -> HyperParameterValue {
        switch kind {
        case let .int(min, _, _, _): .int(min)
        case let .float(min, _, _, _): .float(min)
        case let .choice(values, _): values[0]
        case .boolean: .bool(false)
        case let .fixed(value): value
        }
    }

    static func coerce(_ value: HyperParameterValue, to kind: Kind) -> HyperParameterValue {
        if case .float = kind, case .int(let v) = value { return .float(Double(v)) }
        return value
    }

    static func contains(_ value: HyperParameterValue, kind: Kind) -> Bool {
        switch (kind, value) {
        case let (.int(min, max, _, _), .int(v)): min <= v && v <= max
        case let (.float(min, max, _, _), .float(v)): min <= v && v <= max
        case let (.choice(values, _), v): values.contains(v)
        case (.boolean, .bool): true
        case let (.fixed(f), v): f == v
        default: false
        }
    }

    static func rangeDescription(_ kind: Kind) -> String {
        switch kind {
        case let .int(min, max, _, _): "[\(min), \(max)]"
        case let .float(min, max, _, _): "[\(formatG5(min)), \(formatG5(max))]"
        case let .choice(values, _): "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .boolean: "[False, True]"
        case let .fixed(v): "[\(v)]"
        }
    }

    /// The configuration line of KerasTuner's `search_space_summary` for this definition.
    public var configDescription: String {
        var parts: [String] = []
        switch kind {
        case let .int(min, max, step, sampling):
            parts = [
                "'default': \(defaultValue)", "'conditions': \(conditionsDescription)", "'min_value': \(min)",
                "'max_value': \(max)", "'step': \(step ?? 1)", "'sampling': '\(sampling.rawValue)'",
            ]
        case let .float(min, max, step, sampling):
            parts = [
                "'default': \(defaultValue)", "'conditions': \(conditionsDescription)", "'min_value': \(formatG5(min))",
                "'max_value': \(formatG5(max))", "'step': \(step.map(formatG5) ?? "None")",
                "'sampling': '\(sampling.rawValue)'",
            ]
        case let .choice(values, ordered):
            parts = [
                "'default': \(quoted(defaultValue))", "'conditions': \(conditionsDescription)",
                "'values': [" + values.map(quoted).joined(separator: ", ") + "]",
                "'ordered': \(ordered ? "True" : "False")",
            ]
        case .boolean:
            parts = ["'default': \(defaultValue)", "'conditions': \(conditionsDescription)"]
        case let .fixed(value):
            parts = ["'conditions': \(conditionsDescription)", "'value': \(quoted(value))"]
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    private var conditionsDescription: String {
        "["
            + conditions.map { c in
                "{'parent_name': '\(c.parent)', 'parent_values': [" + c.values.map(quoted).joined(separator: ", ")
                    + "]}"
            }.joined(separator: ", ") + "]"
    }

    private func quoted(_ v: HyperParameterValue) -> String {
        if case .string(let s) = v { return "'\(s)'" }
        return v.description
    }
}
