import TunerCore

/// Enumerates the search space exactly as KerasTuner's GridSearch (S32): all defaults first,
/// then an odometer over the hyperparameters in registration order, the last varying fastest.
///
/// The next configuration follows the last trial's, skipping any already tried, so a
/// resumed grid continues where it stopped (KerasTuner's cannot resume).
///
/// ```swift
/// let oracle = GridSearchOracle()
/// let first = oracle.propose(trial: 0, space: space, history: OracleHistory(), seed: 0)   // all defaults
/// ```
public struct GridSearchOracle: Oracle {
    /// `GridSearch`.
    public let kind: TunerKind = .gridSearch
    /// Proposals depend on the configurations tried, never on results.
    public var proposalsUseResults: Bool { false }
    /// `nil`: a grid runs until exhausted.
    public let defaultMaxTrials: Int? = nil

    /// The grid's size.
    public func plannedTrials(space: SearchSpace) -> Int? { space.gridCount() }

    /// Makes the oracle.
    public init() {}

    /// The next untried grid configuration after the last trial's, or `nil` when none is left.
    public func propose(trial: Int, space: SearchSpace, history: OracleHistory, seed: UInt64) -> [String:
        HyperParameterValue]?
    {
        let tried = history.tried
        var candidate: [String: HyperParameterValue]? = history.last.map(\.values) ?? space.defaults
        if history.isEmpty, let c = candidate, !tried.contains(c) { return c }
        while let c = candidate {
            if !tried.contains(c) { return c }
            candidate = space.nextGridConfiguration(after: c)
        }
        return nil
    }
}
