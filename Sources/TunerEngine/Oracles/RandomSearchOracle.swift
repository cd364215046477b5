import TunerCore

/// Draws each trial's configuration at random from a generator seeded by the study seed
/// and the trial number, never proposing a configuration twice, failed ones included (S33).
///
/// After `maxCollisions` draws that were all tried before, a finite space is searched
/// exhaustively for the untried configurations left; when there are none, the search ends
/// with reason `completed`.
///
/// ```swift
/// let oracle = RandomSearchOracle()
/// ```
public struct RandomSearchOracle: Oracle {
    /// `RandomSearch`.
    public let kind: TunerKind = .randomSearch
    /// Proposals depend on the configurations tried, never on results.
    public var proposalsUseResults: Bool { false }
    /// With a continuous hyperparameter, trial n's proposal is the first of its own draws that
    /// no trial has (the enumeration of a discrete space, used after many collisions, is not).
    public func proposalsHoldBesideUnseenTrials(space: SearchSpace) -> Bool { !space.isDiscrete }
    /// 10, as KerasTuner.
    public let defaultMaxTrials: Int? = 10
    /// Draws before falling back to enumeration (KerasTuner gives up after 20).
    public var maxCollisions: Int

    /// Makes the oracle.
    public init(maxCollisions: Int = 20) {
        self.maxCollisions = maxCollisions
    }

    /// A random configuration not tried before, or `nil` when none is left.
    public func propose(trial: Int, space: SearchSpace, history: OracleHistory, seed: UInt64) -> [String:
        HyperParameterValue]?
    {
        let tried = history.tried
        var rng = SplitMix64(seed: SplitMix64.mix(seed, UInt64(trial) &+ 0x5EED))
        for _ in 0..<maxCollisions {
            let candidate = space.sample(using: &rng)
            if !tried.contains(candidate) { return candidate }
        }
        guard space.isDiscrete, space.gridCount(limit: 200_000) != nil else { return nil }
        var untried: [[String: HyperParameterValue]] = []
        var current: [String: HyperParameterValue]? = space.defaults
        while let c = current {
            if !tried.contains(c) { untried.append(c) }
            current = space.nextGridConfiguration(after: c)
        }
        guard !untried.isEmpty else { return nil }
        return untried[rng.nextInt(below: untried.count)]
    }
}
