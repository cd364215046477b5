import TunerCore
import TunerJournal

/// Re-derives every trial's proposal from the journal (S30, section 9): trial n's
/// configuration must be what the oracle proposes given the study seed, n, the configurations
/// of the trials before n, and the results of those that had ended when n was proposed (its
/// journaled basis). That is what makes a search of many workers auditable after the fact.
///
/// ```swift
/// let report = try ProposalVerifier(oracle: GridSearchOracle()).verify(journal)
/// if !report.mismatches.isEmpty { print(report.mismatches) }
/// ```
public struct ProposalVerifier: Sendable {
    /// One proposal that does not re-derive.
    public struct Mismatch: Sendable, Equatable, CustomStringConvertible {
        /// The trial.
        public var trial: Int
        /// What the journal holds.
        public var journaled: [String: HyperParameterValue]
        /// What the oracle proposes from the journal; `nil` when it proposes nothing.
        public var derived: [String: HyperParameterValue]?

        /// The trial and both configurations, in words.
        public var description: String {
            "trial \(trialID(trial)): the journal holds \(encodeValues(journaled)), the oracle proposes " +
                "\(derived.map(encodeValues) ?? "nothing")"
        }
    }

    /// What a verification found.
    public struct Report: Sendable, Equatable {
        /// The proposals checked.
        public var checked: Int
        /// Those that did not re-derive.
        public var mismatches: [Mismatch]
        /// Why some trials could not be checked (a space that grew while the study ran), if so.
        public var unchecked: String?
    }

    /// The oracle the study was searched with, configured as it was.
    public let oracle: any Oracle

    /// Makes a verifier for an oracle.
    public init(oracle: any Oracle) {
        self.oracle = oracle
    }

    /// Re-derives every proposal of the study.
    ///
    /// - Throws: `JournalError` when the journal cannot be read.
    public func verify(_ journal: StudyJournal) throws -> Report {
        try journal.snapshot {
            let study = try journal.study()
            let space = try study.searchSpace()
            let trials = try journal.trials()
            let bases = try journal.proposalBases()
            let grew = try journal.spaceChanges() > 0
            var report = Report(checked: 0, mismatches: [], unchecked: nil)
            if grew {
                report.unchecked =
                    "the search space changed while the study ran (a trial defined a hyperparameter, or a change was " +
                        "accepted): proposals made over the old space are not re-derived"
                return report
            }
            let values = try trials.map { try $0.values() }
            for trial in trials {
                // Without a journaled basis (a journal older than schema version 4), the trial
                // was proposed by the one writer once every earlier trial had ended.
                let basis = bases[trial.number] ?? trial.number
                var history = OracleHistory(direction: study.direction)
                for earlier in trials.prefix(trial.number) {
                    let ended = earlier.endSeq.map { $0 <= basis } ?? false
                    history.append(
                        OracleTrial(
                            number: earlier.number, values: values[earlier.number],
                            status: ended ? earlier.status : .running,
                            score: ended ? earlier.score : nil))
                }
                let derived = oracle.propose(trial: trial.number, space: space, history: history, seed: study.studySeed)
                report.checked += 1
                if derived != values[trial.number] {
                    report.mismatches.append(
                        Mismatch(trial: trial.number, journaled: values[trial.number], derived: derived))
                }
            }
            return report
        }
    }
}
