import Foundation
import TunerCore
import TunerStore

extension PostgresStudyStore {
    package func claim(_ request: ClaimRequest,
                       propose: (_ number: Int, _ refreshed: [TrialRecord]) throws -> ProposedTrial?,
                       failureRule: (_ message: String) -> (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?)
        throws -> Claim {
        try write { sql, head in try claim(sql, head: head, request, propose: propose, failureRule: failureRule) }
    }

    package func finishAndClaim(_ attempt: AttemptRecord, _ end: AttemptEnd, session: Int64,
                                decide: (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?,
                                next request: ClaimRequest,
                                propose: (_ number: Int, _ refreshed: [TrialRecord]) throws -> ProposedTrial?,
                                failureRule: (_ message: String) -> (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?)
        throws -> (AttemptCommit, Claim?) {
        try write { sql, head in
            let commit = try finishAttempt(sql, head: head, attempt, end, session: session, decide: decide)
            guard commit.stop == nil, !commit.fenced else { return (commit, nil) }
            return (commit, try claim(sql, head: head, request, propose: propose, failureRule: failureRule))
        }
    }

    /// Ends this worker's session with a stop and returns it as the claim's work.
    private func stopped(_ sql: Statements, head: WriteHead, _ request: ClaimRequest, _ stop: SessionStop,
                         refreshed: () throws -> [TrialRecord], ends: () throws -> Int) throws -> Claim {
        try sql.execute("UPDATE swifttuner.session SET ended_at = $2, stop_reason = $3, message = $4 WHERE id = $1 AND ended_at IS NULL",
                        [.int64(request.session), .double(head.now), .text(stop.reason.rawValue), .text(stop.message)])
        return Claim(work: .stopped(stop), refreshed: try refreshed(), ends: try ends())
    }

    func claim(_ sql: Statements, head: WriteHead, _ request: ClaimRequest,
               propose: (_ number: Int, _ refreshed: [TrialRecord]) throws -> ProposedTrial?,
               failureRule: (_ message: String) -> (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?)
        throws -> Claim {
        let study = SQLValue.int64(studyID)
        let ends = {
            Int(try sql.rows("SELECT end_count FROM swifttuner.study WHERE id = $1", [study]).first?.value(0, Int32.self) ?? 0)
        }
        func refreshed() throws -> [TrialRecord] {
            try sql.rows("""
                SELECT \(PostgresSchema.trialColumns) FROM swifttuner.trial
                WHERE study = $1 AND (number >= $2 OR end_seq > $3) ORDER BY number
                """, [study, .int(request.knownTrials), .int(request.knownEnds)]).map(Self.decodeTrial)
        }
        // This worker's own session was closed by another (its lease ran out while it was
        // paused or cut off), or it lost its lease itself: it stops; a restart goes on.
        if let lost = leaseLoss.withLock({ $0 }) {
            return try stopped(sql, head: head, request, SessionStop(reason: .error, message: lost), refreshed: refreshed, ends: ends)
        }
        if let row = try sql.rows("SELECT ended_at IS NOT NULL, message FROM swifttuner.session WHERE id = $1",
                                  [.int64(request.session)]).first, try row.value(0, Bool.self) {
            let why = (try row.optional(1, String.self)) ?? "closed by another worker"
            let stop = SessionStop(reason: .error, message: "this worker's session was closed by another worker (\(why)); its running attempt was interrupted. Start the worker again to go on.")
            return Claim(work: .stopped(stop), refreshed: try refreshed(), ends: try ends())
        }
        if stopSeen(head) {
            let row = try sql.rows("""
                SELECT s.stop_reason, s.message, s.worker FROM swifttuner.study st
                LEFT JOIN swifttuner.session s ON s.id = st.stop_session WHERE st.id = $1
                """, [study]).first
            let reason = try row?.optional(0, String.self).flatMap(StopReason.init(rawValue:)) ?? .error
            let by = try row?.optional(2, String.self) ?? "another worker"
            let message = "stopped because worker \(by) stopped the search: \(try row?.optional(1, String.self) ?? reason.rawValue)"
            return try stopped(sql, head: head, request, SessionStop(reason: reason, message: message), refreshed: refreshed, ends: ends)
        }
        var reaped: [Int64] = []
        func reap(force: Bool) throws {
            guard force || head.now - lastReap.withLock({ $0 }) >= 1 else { return }
            lastReap.withLock { $0 = head.now }
            reaped += try reapDead(sql, head: head, current: request.session).map(\.0)
        }
        try reap(force: false)
        // The first queued trial (STOPPED or INVALID), by number; one that another transaction
        // holds is skipped.
        func queued() throws -> Int? {
            try sql.rows("""
                SELECT number FROM swifttuner.trial WHERE study = $1 AND status IN ('STOPPED', 'INVALID')
                ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED
                """, [study]).first.map { Int(try $0.value(0, Int32.self)) }
        }
        func claimQueued(_ number: Int) throws -> Claim {
            let row = try sql.rows("""
                SELECT COALESCE(SUM(CASE WHEN counted THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN outcome = 'interrupted' AND NOT graceful THEN 1 ELSE 0 END), 0)
                FROM swifttuner.attempt WHERE study = $1 AND trial = $2
                """, [study, .int(number)]).first
            let counted = Int(try row?.value(0, Int64.self) ?? 0)
            let deaths = Int(try row?.value(1, Int64.self) ?? 0)
            if let limit = request.maxInterruptionsPerTrial, deaths >= limit {
                let message = "interrupted \(deaths) times: the process died while running this trial"
                let commit = try failTrial(sql, head: head, number, errorType: Self.interruptedErrorType, message: message,
                                           session: request.session, decide: failureRule(message))
                return Claim(work: .failed(number: number, message: message, commit), refreshed: try refreshed(), ends: try ends(),
                             reaped: reaped)
            }
            let attempt = try insertAttempt(sql, head: head, trial: number, session: request.session)
            guard let trial = try sql.rows("SELECT \(PostgresSchema.trialColumns) FROM swifttuner.trial WHERE study = $1 AND number = $2",
                                           [study, .int(number)]).first.map(Self.decodeTrial) else {
                throw JournalError(.corrupted, path: url.redacted, "trial \(trialID(number)) vanished while it was claimed")
            }
            return Claim(work: .run(trial, attempt, isNew: false), refreshed: try refreshed(), ends: try ends(),
                         counted: counted, reaped: reaped)
        }
        if let number = try queued() { return try claimQueued(number) }
        let count = Int(try sql.rows("SELECT COALESCE(MAX(number) + 1, 0) FROM swifttuner.trial WHERE study = $1", [study])
            .first?.value(0, Int32.self) ?? 0)
        let changes = try refreshed()
        let proposal: ProposedTrial?
        if let maxTrials = request.maxTrials, count >= maxTrials {
            proposal = nil
        } else {
            proposal = try propose(count, changes)
        }
        guard let proposal else {
            let running = try sql.rows("SELECT EXISTS (SELECT 1 FROM swifttuner.trial WHERE study = $1 AND status = 'RUNNING')",
                                       [study]).first?.value(0, Bool.self) ?? false
            guard running else { return Claim(work: .exhausted, refreshed: changes, ends: try ends(), reaped: reaped) }
            // Before waiting on the others, make sure their leases hold: a dead worker's trial
            // is queued work, claimed at once.
            try reap(force: true)
            guard let number = try queued() else { return Claim(work: .wait, refreshed: changes, ends: try ends(), reaped: reaped) }
            return try claimQueued(number)
        }
        let (trial, attempt) = try insertTrial(sql, head: head, number: count, values: proposal.values, seed: proposal.seed,
                                               session: request.session)
        return Claim(work: .run(trial, attempt, isNew: true), refreshed: changes, ends: try ends(), reaped: reaped)
    }
}
