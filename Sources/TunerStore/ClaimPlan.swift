import TunerCore

/// What a store does inside a claim's write transaction, step by step; ``ClaimPlan`` decides
/// which steps run and in which order, the same for every store (section 9).
package protocol ClaimSteps {
    /// The trials created at or after the request's `knownTrials`, and those ended after its
    /// `knownEnds`, by number.
    func refreshed() throws -> [TrialRecord]
    /// The trial ends journaled so far.
    func ends() throws -> Int
    /// A reason this worker's own session cannot go on (its lease was lost, or another worker
    /// closed it), with the session already ended by the store where it must be.
    func ownStop() throws -> SessionStop?
    /// The study's journaled stop, when one was: its reason, message and the worker that took it.
    func studyStop() throws -> (reason: StopReason, message: String?, worker: String?)?
    /// Ends this worker's session with a stop.
    func endSession(_ stop: SessionStop) throws
    /// Closes the sessions of dead workers (`force`: now, else when the store's own throttle
    /// allows); returns the closed ones.
    func reap(force: Bool) throws -> [Int64]
    /// The first queued trial by number (STOPPED or INVALID) that this transaction may take.
    func firstQueued() throws -> Int?
    /// A trial's counted attempts, and its attempts that ended by the process dying (S7).
    func attemptCounts(_ number: Int) throws -> (counted: Int, deaths: Int)
    /// Marks a trial FAILED without running it, deciding the streak and the stop by `decide`.
    func failTrial(
        _ number: Int, errorType: String, message: String,
        decide: (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    ) throws -> AttemptCommit
    /// Starts an attempt of a queued trial; returns the trial and the attempt.
    func startAttempt(_ number: Int) throws -> (TrialRecord, AttemptRecord)
    /// The number a new trial gets: one more than the highest so far.
    func nextNumber() throws -> Int
    /// Whether any trial is RUNNING.
    func anyRunning() throws -> Bool
    /// Creates a trial with its first attempt.
    func createTrial(_ number: Int, _ proposal: ProposedTrial) throws -> (TrialRecord, AttemptRecord)
}

/// The claim's rules, free of any store: what a worker gets, in the order S23 and section 9
/// give (its own session's end, the study's stop, queued work, a new trial, waiting, nothing).
package enum ClaimPlan {
    /// The error type of a trial failed because its process died too often (S7).
    package static let interruptedErrorType = "Interrupted"

    /// Ends an attempt and, when that allows it, claims the worker's next work: a store's two
    /// steps, inside its one write transaction (section 9).
    package static func finishAndClaim(
        finish: () throws -> AttemptCommit, claim: () throws -> Claim
    ) rethrows -> (AttemptCommit, Claim?) {
        let commit = try finish()
        guard commit.allowsClaim else { return (commit, nil) }
        return (commit, try claim())
    }

    /// Runs the claim with a store's steps, inside that store's write transaction.
    package static func claim(
        _ steps: some ClaimSteps, _ request: ClaimRequest,
        propose: (_ number: Int, _ refreshed: [TrialRecord]) throws -> ProposedTrial?,
        failureRule: (_ message: String) -> (_ streak: Int, _ failedRun: () throws -> [Int]) throws
            -> SessionStop?
    ) throws -> Claim {
        if let stop = try steps.ownStop() {
            return Claim(work: .stopped(stop), refreshed: try steps.refreshed(), ends: try steps.ends())
        }
        if let (reason, message, worker) = try steps.studyStop() {
            let text =
                "stopped because worker \(worker ?? "another worker") stopped the search: \(message ?? reason.rawValue)"
            let stop = SessionStop(reason: reason, message: text)
            try steps.endSession(stop)
            return Claim(work: .stopped(stop), refreshed: try steps.refreshed(), ends: try steps.ends())
        }
        var reaped = try steps.reap(force: false)
        func claimQueued(_ number: Int) throws -> Claim {
            let (counted, deaths) = try steps.attemptCounts(number)
            if let limit = request.maxInterruptionsPerTrial, deaths >= limit {
                let message = "interrupted \(deaths) times: the process died while running this trial"
                let commit = try steps.failTrial(
                    number, errorType: interruptedErrorType, message: message,
                    decide: failureRule(message))
                return Claim(
                    work: .failed(number: number, message: message, commit), refreshed: try steps.refreshed(),
                    ends: try steps.ends(), reaped: reaped)
            }
            let (trial, attempt) = try steps.startAttempt(number)
            return Claim(
                work: .run(trial, attempt, isNew: false), refreshed: try steps.refreshed(), ends: try steps.ends(),
                counted: counted, reaped: reaped)
        }
        if let number = try steps.firstQueued() { return try claimQueued(number) }
        let number = try steps.nextNumber()
        let changes = try steps.refreshed()
        let proposal: ProposedTrial?
        if let maxTrials = request.maxTrials, number >= maxTrials {
            proposal = nil
        } else {
            proposal = try propose(number, changes)
        }
        guard let proposal else {
            guard try steps.anyRunning() else {
                return Claim(work: .exhausted, refreshed: changes, ends: try steps.ends(), reaped: reaped)
            }
            // Before waiting on the others, make sure they are alive: a dead one's trial is
            // queued work, claimed at once.
            reaped += try steps.reap(force: true)
            guard let queued = try steps.firstQueued() else {
                return Claim(work: .wait, refreshed: changes, ends: try steps.ends(), reaped: reaped)
            }
            return try claimQueued(queued)
        }
        let (trial, attempt) = try steps.createTrial(number, proposal)
        return Claim(
            work: .run(trial, attempt, isNew: true), refreshed: changes, ends: try steps.ends(), reaped: reaped)
    }
}
