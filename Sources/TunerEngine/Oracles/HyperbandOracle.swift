import Foundation
import TunerCore

/// KerasTuner's Hyperband, failure-aware: brackets of successive halving, each round
/// training the best models of the previous one for more epochs, continuing from their weights.
///
/// Each trial's values carry `tuner/epochs`, `tuner/initial_epoch`, `tuner/bracket`,
/// `tuner/round` and, for a promoted trial, `tuner/trial_id` (its parent). A round's slots go to
/// the best COMPLETED trials of the previous round, so a failed candidate's slot goes to the next
/// best one (KerasTuner loses it), and new configurations avoid the regions where trials failed
/// (``FailureClassifier``). The bracket state is derived from the journaled history, so
/// a resumed search continues exactly (S24, S30).
///
/// ```swift
/// let oracle = HyperbandOracle(maxEpochs: 27, factor: 3)
/// ```
public struct HyperbandOracle: Oracle {
    /// `Hyperband`.
    public let kind: TunerKind = .hyperband
    /// `nil`: until every bracket of every iteration ran.
    public let defaultMaxTrials: Int? = nil
    /// The epochs of the longest-trained models.
    public var maxEpochs: Int
    /// The reduction factor between rounds (KerasTuner: 3).
    public var factor: Int
    /// How many times the whole set of brackets runs.
    public var iterations: Int

    /// Makes the oracle.
    public init(maxEpochs: Int = 100, factor: Int = 3, iterations: Int = 1) {
        self.maxEpochs = Swift.max(1, maxEpochs)
        self.factor = Swift.max(2, factor)
        self.iterations = Swift.max(1, iterations)
    }

    /// One round of a bracket: how many models it trains, and up to which epoch.
    public struct Round: Equatable, Sendable {
        /// The iteration, from 0.
        public var iteration: Int
        /// The bracket (KerasTuner's numbering: the largest first).
        public var bracket: Int
        /// The round within the bracket, from 0.
        public var round: Int
        /// How many models the round trains (at most).
        public var size: Int
        /// The epoch the round's models train up to.
        public var epochs: Int
        /// The epoch they start from (the previous round's), 0 in round 0.
        public var initialEpoch: Int
    }

    /// KerasTuner's number of brackets: how many times `maxEpochs` divides by `factor` down to 1.
    var bracketCount: Int {
        var epochs = Double(maxEpochs), count = 0
        while epochs >= 1 { epochs /= Double(factor); count += 1 }
        return count
    }

    func size(_ bracket: Int, _ round: Int) -> Int {
        let endSize = ceil(1 + log(Double(maxEpochs)) / log(Double(factor)))
        return Int(ceil(endSize / Double(bracket + 1) * pow(Double(factor), Double(bracket - round))))
    }

    func epochs(_ bracket: Int, _ round: Int) -> Int {
        Int(ceil(Double(maxEpochs) / pow(Double(factor), Double(bracket - round))))
    }

    /// The whole schedule, in the order trials are created.
    public var schedule: [Round] {
        var rounds: [Round] = []
        for iteration in 0..<iterations {
            for bracket in stride(from: bracketCount - 1, through: 0, by: -1) {
                for round in 0...bracket {
                    rounds.append(
                        Round(
                            iteration: iteration, bracket: bracket, round: round, size: size(bracket, round),
                            epochs: epochs(bracket, round), initialEpoch: round == 0 ? 0 : epochs(bracket, round - 1)))
                }
            }
        }
        return rounds
    }

    static func int(_ values: [String: HyperParameterValue], _ key: String) -> Int? {
        if case .int(let v) = values[key] { return v }
        return nil
    }

    /// The next trial of the current round: a new configuration in round 0, else the best
    /// completed trial of the previous round not yet promoted; `nil` when the schedule is done.
    public func propose(trial: Int, space: SearchSpace, history: OracleHistory, seed: UInt64) -> [String:
        HyperParameterValue]?
    {
        guard case let .propose(round, members, previous) = position(in: history) else { return nil }
        return next(
            round, members: members, previous: previous, space: space, history: history, trial: trial, seed: seed)
    }

    /// Whether the next trial is a promotion from a round whose members have not all ended:
    /// ranking them now would promote from part of the round, so a worker waits (section 9).
    public func mustWait(trial: Int, space: SearchSpace, history: OracleHistory) -> Bool {
        if case .wait = position(in: history) { return true }
        return false
    }

    /// Where the history stands in the schedule.
    enum Position {
        /// The next trial belongs to `round`, after `members`; `previous` is the round before.
        case propose(Round, members: [OracleTrial], previous: [OracleTrial])
        /// The next trial is a promotion from a round with members still running.
        case wait
        /// The schedule is done.
        case done
    }

    func position(in history: OracleHistory) -> Position {
        var index = 0
        var previous: [OracleTrial] = []
        for round in schedule {
            // The trials of this round are the next ones in creation order.
            var members: [OracleTrial] = []
            let limit: Int
            if round.round == 0 {
                limit = round.size
            } else {
                if previous.contains(where: { $0.status != .completed && $0.status != .failed }) { return .wait }
                limit = Swift.min(round.size, previous.filter { history.loss($0) != nil }.count)
            }
            while index < history.trials.count, members.count < limit,
                Self.int(history.trials[index].values, "tuner/bracket") == round.bracket,
                Self.int(history.trials[index].values, "tuner/round") == round.round
            {
                members.append(history.trials[index])
                index += 1
            }
            if members.count < limit { return .propose(round, members: members, previous: previous) }
            previous = members
        }
        return .done
    }

    func next(
        _ round: Round, members: [OracleTrial], previous: [OracleTrial], space: SearchSpace, history: OracleHistory,
        trial: Int, seed: UInt64
    ) -> [String: HyperParameterValue]? {
        var values: [String: HyperParameterValue]
        if round.round == 0 {
            // A new configuration, never tried before (whatever its epochs); once trials have
            // failed, the first draw unlikely to fail (else the least likely of 64 untried ones).
            let configuration = { (trial: OracleTrial) in trial.values.filter { !$0.key.hasPrefix("tuner/") } }
            let tried = Set(history.trials.map(configuration))
            let classifier = FailureClassifier(trials: history.trials, space: space, configuration: configuration)
            var rng = SplitMix64(seed: SplitMix64.mix(seed, UInt64(trial) &+ 0x4B))
            let candidate = classifier.safestDraw(
                from: space, using: &rng, draws: 200, untried: 64, isTried: tried.contains)
            guard let fresh = candidate ?? (space.isDiscrete ? nil : space.sample(using: &rng)) else { return nil }
            values = fresh
        } else {
            // The best completed trial of the previous round not promoted yet.
            let promoted = Set(
                members.compactMap { member -> String? in
                    if case .string(let id) = member.values["tuner/trial_id"] { return id }
                    return nil
                })
            let ranked = previous.filter { history.loss($0) != nil && !promoted.contains(trialID($0.number)) }
                .sorted { (history.loss($0) ?? 0, $0.number) < (history.loss($1) ?? 0, $1.number) }
            guard let parent = ranked.first else { return nil }
            values = parent.values
            values["tuner/trial_id"] = .string(trialID(parent.number))
        }
        values["tuner/epochs"] = .int(round.epochs)
        values["tuner/initial_epoch"] = .int(round.initialEpoch)
        values["tuner/bracket"] = .int(round.bracket)
        values["tuner/round"] = .int(round.round)
        return values
    }
}
