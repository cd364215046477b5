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

/// Proposes the hyperparameters of each new trial.
///
/// A proposal must be a pure function of the study seed, the trial number and the
/// journaled history (S30): nothing that matters may live only in memory, so a resumed
/// search proposes what an uninterrupted one would have.
///
/// ```swift
/// struct FirstOnly: Oracle {
///     let kind = "FirstOnly"
///     func propose(trial: Int, space: SearchSpace, history: [OracleTrial], seed: UInt64) -> [String: HyperParameterValue]? {
///         history.isEmpty ? space.defaults : nil
///     }
/// }
/// ```
public protocol Oracle: Sendable {
    /// The tuner kind journaled with the study (`GridSearch`, `RandomSearch`).
    var kind: String { get }
    /// The default number of trials when the user gives none (`nil`: until exhausted).
    var defaultMaxTrials: Int? { get }
    /// The configuration of trial `trial`, or `nil` when the space is exhausted.
    func propose(trial: Int, space: SearchSpace, history: [OracleTrial], seed: UInt64) -> [String: HyperParameterValue]?
}
