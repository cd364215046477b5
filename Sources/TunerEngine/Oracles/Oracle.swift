import TunerCore

/// One trial as an oracle sees it: its values and how it ended.
public struct OracleTrial: Sendable {
    /// The trial number.
    public var number: Int
    /// Its hyperparameter values.
    public var values: [String: HyperParameterValue]
    /// Its status.
    public var status: TrialStatus
    /// Its score, when COMPLETED.
    public var score: Double?

    /// Makes a trial view.
    public init(number: Int, values: [String: HyperParameterValue], status: TrialStatus, score: Double?) {
        self.number = number
        self.values = values
        self.status = status
        self.score = score
    }
}

/// The journaled trials an oracle sees, with the set of configurations already tried.
///
/// The engine keeps it up to date as trials are created and end, so proposals cost no
/// rescan of the whole history.
public struct OracleHistory: Sendable {
    /// The trials, by number.
    public private(set) var trials: [OracleTrial] = []
    /// Every configuration tried so far, failed ones included.
    public private(set) var tried: Set<[String: HyperParameterValue]> = []
    /// Whether the objective's scores are minimized or maximized.
    public var direction: Objective.Direction

    /// Makes a history of trials.
    public init(_ trials: [OracleTrial] = [], direction: Objective.Direction = .min) {
        self.direction = direction
        for trial in trials { append(trial) }
    }

    /// A trial's score oriented so that smaller is better; `nil` unless it completed finite.
    public func loss(_ trial: OracleTrial) -> Double? {
        guard trial.status == .completed, let score = trial.score, score.isFinite else { return nil }
        return direction == .min ? score : -score
    }

    /// Adds a trial.
    public mutating func append(_ trial: OracleTrial) {
        trials.append(trial)
        tried.insert(trial.values)
    }

    /// Updates a trial's status and score.
    public mutating func update(at index: Int, status: TrialStatus, score: Double?) {
        guard trials.indices.contains(index) else { return }
        trials[index].status = status
        trials[index].score = score
    }

    /// Replaces a trial's values: the trial defined a hyperparameter while it ran, and its
    /// journaled values gained what it used.
    public mutating func update(at index: Int, values: [String: HyperParameterValue]) {
        guard trials.indices.contains(index) else { return }
        tried.remove(trials[index].values)
        trials[index].values = values
        tried.insert(values)
    }

    /// Whether there is no trial yet.
    public var isEmpty: Bool { trials.isEmpty }
    /// The last trial.
    public var last: OracleTrial? { trials.last }
}

/// Proposes the hyperparameters of each new trial.
///
/// A proposal must be a pure function of the study seed, the trial number and the
/// journaled history (S30): nothing that matters may live only in memory, so a resumed
/// search proposes what an uninterrupted one would have.
///
/// ```swift
/// struct FirstOnly: Oracle {
///     let kind: TunerKind = "FirstOnly"
///     func propose(trial: Int, space: SearchSpace, history: OracleHistory,
///                  seed: UInt64) -> [String: HyperParameterValue]? {
///         history.isEmpty ? space.defaults : nil
///     }
/// }
/// ```
public protocol Oracle: Sendable {
    /// The tuner kind journaled with the study (`GridSearch`, `RandomSearch`).
    var kind: TunerKind { get }
    /// The default number of trials when the user gives none (`nil`: until exhausted).
    var defaultMaxTrials: Int? { get }
    /// The configuration of trial `trial`, or `nil` when the space is exhausted.
    func propose(trial: Int, space: SearchSpace, history: OracleHistory, seed: UInt64) -> [String: HyperParameterValue]?
    /// How many trials the oracle proposes in all over `space`, where it knows (a grid's
    /// size), for the progress line; `nil` otherwise.
    func plannedTrials(space: SearchSpace) -> Int?
    /// Whether trial `trial` must wait for trials still running before it can be proposed
    /// (Hyperband's promotions wait for their whole round, section 9). One process never
    /// proposes while a trial runs; many workers do, and wait while this says so.
    func mustWait(trial: Int, space: SearchSpace, history: OracleHistory) -> Bool
    /// Whether proposals depend on the trials' statuses and scores, not only on their
    /// configurations. When they do not, a worker may propose its next trial before the
    /// results of running trials are known (section 9); the proposals are the same.
    var proposalsUseResults: Bool { get }
    /// Whether a proposal for trial n made without knowing some of the trials before n is still
    /// the oracle's proposal whenever none of those trials has its configuration (a search
    /// that draws trial n's candidates from a sequence of its own and takes the first one no
    /// trial has). Many workers then propose before they know what the others created.
    func proposalsHoldBesideUnseenTrials(space: SearchSpace) -> Bool
}

extension Oracle {
    /// An oracle that does not know how many trials it proposes.
    public func plannedTrials(space: SearchSpace) -> Int? { nil }
    /// An oracle that proposes whatever is running.
    public func mustWait(trial: Int, space: SearchSpace, history: OracleHistory) -> Bool { false }
    /// An oracle whose proposals may depend on results.
    public var proposalsUseResults: Bool { true }
    /// An oracle whose proposals may depend on every earlier trial.
    public func proposalsHoldBesideUnseenTrials(space: SearchSpace) -> Bool { false }
}
