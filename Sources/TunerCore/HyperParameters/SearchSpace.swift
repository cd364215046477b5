/// An ordered set of hyperparameter definitions: what a search explores.
///
/// The order is the registration order, which GridSearch's odometer follows. A space is
/// journaled with its study; opening the study with a different space is refused.
///
/// ```swift
/// let hp = HyperParameters()
/// _ = try hp.int("units_1", min: 10, max: 40, step: 10)
/// print(hp.space.summary())
/// ```
public struct SearchSpace: Hashable, Sendable, Codable {
    /// The definitions in registration order.
    public private(set) var definitions: [HyperParameterDefinition]

    /// Makes an empty space.
    public init() { definitions = [] }

    /// Makes a space from definitions, checking that names are unique.
    public init(_ definitions: [HyperParameterDefinition]) throws {
        self.definitions = []
        for d in definitions { try add(d) }
    }

    /// The definition named `name`, if any.
    public subscript(name: String) -> HyperParameterDefinition? {
        definitions.first { $0.name == name }
    }

    /// The names in registration order.
    public var names: [String] { definitions.map(\.name) }

    /// Whether the space is empty.
    public var isEmpty: Bool { definitions.isEmpty }

    /// Adds a definition; a second definition of the same name must be identical.
    ///
    /// - Returns: `true` if the definition was new.
    @discardableResult
    public mutating func add(_ definition: HyperParameterDefinition) throws -> Bool {
        if let existing = self[definition.name] {
            guard existing.kind == definition.kind else {
                throw HyperParameterError(
                    name: definition.name,
                    reason:
                        "defined twice with different ranges: " +
                            "\(HyperParameterDefinition.rangeDescription(existing.kind)) and " +
                            "\(HyperParameterDefinition.rangeDescription(definition.kind))"
                )
            }
            return false
        }
        for condition in definition.conditions where self[condition.parent] == nil {
            throw HyperParameterError(
                name: definition.name,
                reason: "its condition names '\(condition.parent)', which is not defined before it")
        }
        definitions.append(definition)
        return true
    }

    /// Adds a new definition right after `predecessor` (at the start when `nil`): how a
    /// hyperparameter found in a conditional scope takes its place in registration order.
    ///
    /// - Returns: `true` if the definition was new.
    @discardableResult
    public mutating func insert(_ definition: HyperParameterDefinition, after predecessor: String?) throws -> Bool {
        let end = definitions.count
        guard try add(definition) else { return false }
        let moved = definitions.removeLast()
        var index = predecessor.flatMap { name in definitions.firstIndex { $0.name == name }.map { $0 + 1 } } ?? 0
        // Never before a parent it depends on.
        for condition in moved.conditions {
            if let parent = definitions.firstIndex(where: { $0.name == condition.parent }) {
                index = Swift.max(index, parent + 1)
            }
        }
        definitions.insert(moved, at: Swift.min(index, end))
        return true
    }

    /// Whether this space is `other` with more definitions added: every definition of `other`
    /// is here, the same, in the same relative order.
    public func extends(_ other: SearchSpace) -> Bool {
        definitions.count > other.definitions.count
            && definitions.filter { definition in other[definition.name] != nil } == other.definitions
    }

    /// The values of the active hyperparameters, in space order, given proposed values:
    /// inactive ones are dropped and missing active ones take their default.
    public func resolve(_ proposed: [String: HyperParameterValue]) -> [String: HyperParameterValue] {
        var values: [String: HyperParameterValue] = [:]
        for d in definitions where d.isActive(in: values) {
            values[d.name] = proposed[d.name] ?? d.defaultValue
        }
        return values
    }

    /// Orders a configuration's names as the space does (unknown names last, sorted).
    public func ordered(_ values: [String: HyperParameterValue]) -> [(name: String, value: HyperParameterValue)] {
        var result: [(name: String, value: HyperParameterValue)] = []
        for d in definitions { if let v = values[d.name] { result.append((d.name, v)) } }
        for key in values.keys.sorted() where self[key] == nil { result.append((key, values[key]!)) }
        return result
    }

    /// The configuration of the first trial of a grid: every active hyperparameter at its default.
    public var defaults: [String: HyperParameterValue] { resolve([:]) }

    /// The grid configuration after `values` in KerasTuner's order, or `nil` when the grid
    /// is exhausted: an odometer over the active hyperparameters in registration order,
    /// the last varying fastest, each over `[default] + other values`.
    public func nextGridConfiguration(after values: [String: HyperParameterValue]) -> [String: HyperParameterValue]? {
        var next = values
        var bumped = false
        for d in definitions.reversed() {
            guard d.isActive(in: values), let current = values[d.name] else { continue }
            let list = d.gridValues
            let index = list.firstIndex(of: current) ?? 0
            if index + 1 < list.count {
                next[d.name] = list[index + 1]
                bumped = true
                break
            }
            next[d.name] = list[0]
        }
        guard bumped else { return nil }
        return resolve(next)
    }

    /// The number of grid configurations, or `nil` when it exceeds `limit`.
    public func gridCount(limit: Int = 1_000_000) -> Int? {
        // Without conditions the grid is the product of the value lists; only conditional
        // scopes need the walk.
        if definitions.allSatisfy({ $0.conditions.isEmpty }) {
            var product = 1
            for definition in definitions {
                let (next, overflow) = product.multipliedReportingOverflow(by: definition.gridValues.count)
                if overflow || next > limit { return nil }
                product = next
            }
            return product
        }
        var count = 0
        var current: [String: HyperParameterValue]? = defaults
        while let c = current {
            count += 1
            if count > limit { return nil }
            current = nextGridConfiguration(after: c)
        }
        return count
    }

    /// Whether every hyperparameter is drawn from the value set GridSearch lists (no Float
    /// without a step, no log-sampled Int without one: those are drawn from the whole range).
    public var isDiscrete: Bool {
        definitions.allSatisfy { d in
            switch d.kind {
            case let .float(min, max, step, _): return step != nil || min == max
            case let .int(_, _, step, sampling): return sampling == .linear || step.map { $0 > 1 } ?? false
            default: return true
            }
        }
    }

    /// Draws a configuration at random, respecting conditions.
    public func sample(using rng: inout SplitMix64) -> [String: HyperParameterValue] {
        var values: [String: HyperParameterValue] = [:]
        for d in definitions where d.isActive(in: values) {
            values[d.name] = d.sample(using: &rng)
        }
        return values
    }

    /// KerasTuner's `search_space_summary()` text.
    public func summary() -> String {
        var lines = ["Search space summary", "Default search space size: \(definitions.count)"]
        for d in definitions {
            lines.append("\(d.name) (\(d.className))")
            lines.append(d.configDescription)
        }
        return lines.joined(separator: "\n")
    }
}
