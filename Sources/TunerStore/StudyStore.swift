import TunerCore

/// What the search engine needs of a study's store: the reads a resume starts from and the
/// write protocol, each write one transaction (S22). ``StudyJournal`` (SQLite) is the first
/// implementation; the engine reaches a study only through this protocol.
///
/// ```swift
/// let store: any StudyStore = journal
/// let session = try store.startSession(limits: SearchLimits().json, pid: 42, host: "box")
/// ```
package protocol StudyStore: AnyObject, Sendable {
    /// Where the study is kept (a path or a URL), for messages.
    var location: String { get }
    /// The worker id the store was opened as, for a study of many workers (section 9).
    var workerID: String? { get }
    /// The graceful stop journaled by ``interrupt(session:signal:signalName:)``, if any.
    var interruption: SearchInterruptedError? { get }

    /// The study row.
    func study() throws -> StudyRecord
    /// Every trial, by number.
    func trials() throws -> [TrialRecord]
    /// Every session, oldest first.
    func sessions() throws -> [SessionRecord]
    /// Per trial: its counted attempts, and the times its process was found dead (S7, S8).
    func attemptCounts() throws -> (counted: [Int: Int], deaths: [Int: Int])

    /// Closes the sessions that did not end (S23, S26).
    func recover() throws -> RecoveryReport
    /// Starts a session with its limits (``SearchLimits/json``).
    func startSession(limits: String, pid: Int, host: String) throws -> SessionRecord
    /// Creates a trial and starts its first attempt.
    func createTrial(
        number: Int, values: [String: HyperParameterValue], seed: UInt64,
        session: Int64
    ) throws -> (TrialRecord, AttemptRecord)
    /// Starts another attempt of a trial.
    func startAttempt(trial number: Int, session: Int64) throws -> AttemptRecord
    /// Ends an attempt, its trial's status, end order and streak, and the stop `decide`
    /// returns, in one transaction (S17, S18, S20).
    func finishAttempt(
        _ attempt: AttemptRecord, _ end: AttemptEnd, session: Int64?,
        decide: (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    )
        throws -> AttemptCommit
    /// Claims a worker's next work in one transaction (section 9): a stop journaled by another
    /// worker ends this session; dead workers' attempts become `interrupted`; the first queued
    /// trial (STOPPED or INVALID, by number) gets an attempt, or is marked FAILED when its
    /// process died too often (S7, with the stop `failureRule` gives for its message, as for
    /// ``failTrial(_:errorType:message:session:decide:)``);
    /// otherwise trial n = the next number is created with `propose`'s configuration.
    ///
    /// - Parameter propose: given the next trial number and the trials created or ended since
    ///   the request's marks, the new trial, or `nil` when the oracle has none.
    func claim(
        _ request: ClaimRequest, propose: (_ number: Int, _ refreshed: [TrialRecord]) throws -> ProposedTrial?,
        failureRule: (_ message: String) -> (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    )
        throws -> Claim
    /// Ends an attempt as ``finishAttempt(_:_:session:decide:)`` does and, unless that journaled
    /// a stop or was fenced, claims the worker's next work as ``claim(_:propose:failureRule:)``
    /// does — one transaction instead of two for each trial of a worker (section 9).
    func finishAndClaim(
        _ attempt: AttemptRecord, _ end: AttemptEnd, session: Int64,
        decide: (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?,
        next request: ClaimRequest,
        propose: (_ number: Int, _ refreshed: [TrialRecord]) throws -> ProposedTrial?,
        failureRule: (_ message: String) -> (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    )
        throws -> (AttemptCommit, Claim?)
    /// Marks a trial FAILED without running it (S7), deciding the stop in the same transaction.
    func failTrial(
        _ number: Int, errorType: String, message: String, session: Int64?,
        decide: (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    )
        throws -> AttemptCommit
    /// Journals hyperparameters a trial defined while it ran (section 7).
    func extendSpace(_ space: SearchSpace, trial number: Int, values: [String: HyperParameterValue]) throws
    /// Ends a session with its stop reason (S21).
    func endSession(_ id: Int64, reason: StopReason, message: String?) throws
    /// Ends a session the search could not continue (S28).
    func abandon(session id: Int64, message: String) throws
    /// Journals a graceful stop on a signal and refuses every later write (S6a).
    func interrupt(session id: Int64, signal: Int32, signalName: String) throws
    /// Prepares the store for a new session's writes.
    func resumeLogging() throws
    /// Leaves the store self-contained after a session (S26b); best effort.
    func consolidate()
    /// Registers what to do when this worker loses its lease (section 9): stop the running trial.
    func whenLeaseLost(_ handler: @escaping @Sendable (String) -> Void)
}

extension StudyStore {
    /// A store without leases never loses one.
    package func whenLeaseLost(_ handler: @escaping @Sendable (String) -> Void) {}
}
