import Foundation
import TunerCore
import TunerStore

extension PostgresStudyStore {
    package func claim(
        _ request: ClaimRequest,
        propose: (_ number: Int, _ refreshed: [TrialRecord]) throws -> ProposedTrial?,
        failureRule: (_ message: String) -> (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    )
        throws -> Claim
    {
        try write { sql, head in try claim(sql, head: head, request, propose: propose, failureRule: failureRule) }
    }

    package func finishAndClaim(
        _ attempt: AttemptRecord, _ end: AttemptEnd, session: Int64,
        decide: (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?,
        next request: ClaimRequest,
        propose: (_ number: Int, _ refreshed: [TrialRecord]) throws -> ProposedTrial?,
        failureRule: (_ message: String) -> (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    )
        throws -> (AttemptCommit, Claim?)
    {
        if let quick = try finishAndClaimQuickly(
            attempt, end, session: session, decide: decide, next: request, propose: propose)
        {
            return quick
        }
        return try write { sql, head in
            try ClaimPlan.finishAndClaim(
                finish: { try finishAttempt(sql, head: head, attempt, end, session: session, decide: decide) },
                claim: { try claim(sql, head: head, request, propose: propose, failureRule: failureRule) })
        }
    }

    func claim(
        _ sql: Statements, head: WriteHead, _ request: ClaimRequest,
        propose: (_ number: Int, _ refreshed: [TrialRecord]) throws -> ProposedTrial?,
        failureRule: (_ message: String) -> (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    )
        throws -> Claim
    {
        try ClaimPlan.claim(
            PostgresClaimSteps(store: self, sql: sql, head: head, request: request), request,
            propose: propose, failureRule: failureRule)
    }
}

/// The claim's steps on a PostgreSQL study, inside its write transaction (the study row locked).
struct PostgresClaimSteps: ClaimSteps {
    let store: PostgresStudyStore
    let sql: Statements
    let head: WriteHead
    let request: ClaimRequest

    var study: SQLValue { .int64(store.studyID) }

    // Two index range scans, by number and by end order (their OR would scan the study).
    func refreshed() throws -> [TrialRecord] {
        try sql.rows(
            """
            SELECT \(PostgresSchema.trialColumns) FROM swifttuner.trial WHERE study = $1 AND number >= $2
            UNION ALL
            SELECT \(PostgresSchema.trialColumns) FROM swifttuner.trial WHERE study = $1 AND end_seq > $3 AND number < \
            $2
            ORDER BY number
            """, [study, .int(request.knownTrials), .int(request.knownEnds)]
        ).map(PostgresStudyStore.decodeTrial)
    }

    // The transaction holds the study row: only its own writes change the count, and they
    // keep the head current.
    func ends() throws -> Int { head.endCount }

    // This worker's own session was closed by another (its lease ran out while it was paused
    // or cut off), or it lost its lease itself: it stops; a restart goes on.
    func ownStop() throws -> SessionStop? {
        if let lost = store.leaseLoss.withLock({ $0 }) {
            let stop = SessionStop(reason: .error, message: lost)
            try endSession(stop)
            return stop
        }
        guard
            let row = try sql.rows(
                "SELECT ended_at IS NOT NULL, message FROM swifttuner.session WHERE id = $1",
                [.int64(request.session)]
            ).first, try row.value(0, Bool.self)
        else { return nil }
        let why = (try row.optional(1, String.self)) ?? "closed by another worker"
        return SessionStop(
            reason: .error,
            message:
                "this worker's session was closed by another worker (\(why)); its running attempt was interrupted. " +
                    "Start the worker again to go on."
        )
    }

    func studyStop() throws -> (reason: StopReason, message: String?, worker: String?)? {
        guard store.stopSeen(head) else { return nil }
        let row = try sql.rows(
            """
            SELECT s.stop_reason, s.message, s.worker FROM swifttuner.study st
            LEFT JOIN swifttuner.session s ON s.id = st.stop_session WHERE st.id = $1
            """, [study]
        ).first
        return (
            try row?.optional(0, String.self).flatMap(StopReason.init(rawValue:)) ?? .error,
            try row?.optional(1, String.self), try row?.optional(2, String.self)
        )
    }

    func endSession(_ stop: SessionStop) throws {
        try sql.execute(
            "UPDATE swifttuner.session SET ended_at = $2, stop_reason = $3, message = $4 WHERE id = $1 AND ended_at " +
                "IS NULL",
            [.int64(request.session), .double(head.now), .text(stop.reason.rawValue), .text(stop.message)])
    }

    // At most once a second unless forced.
    func reap(force: Bool) throws -> [Int64] {
        guard force || head.now - store.lastReap.withLock({ $0 }) >= 1 else { return [] }
        store.lastReap.withLock { $0 = head.now }
        return try store.reapDead(sql, head: head, current: request.session).map(\.0)
    }

    // A queued trial that another transaction holds is skipped.
    func firstQueued() throws -> Int? {
        try sql.rows(
            """
            SELECT number FROM swifttuner.trial WHERE study = $1 AND status IN ('STOPPED', 'INVALID')
            ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED
            """, [study]
        ).first.map { Int(try $0.value(0, Int32.self)) }
    }

    func attemptCounts(_ number: Int) throws -> (counted: Int, deaths: Int) {
        let row = try sql.rows(
            """
            SELECT COALESCE(SUM(CASE WHEN counted THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN outcome = 'interrupted' AND NOT graceful THEN 1 ELSE 0 END), 0)
            FROM swifttuner.attempt WHERE study = $1 AND trial = $2
            """, [study, .int(number)]
        ).first
        return (Int(try row?.value(0, Int64.self) ?? 0), Int(try row?.value(1, Int64.self) ?? 0))
    }

    func failTrial(
        _ number: Int, errorType: String, message: String,
        decide: (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    ) throws -> AttemptCommit {
        try store.failTrial(
            sql, head: head, number, errorType: errorType, message: message, session: request.session,
            decide: decide)
    }

    func startAttempt(_ number: Int) throws -> (TrialRecord, AttemptRecord) {
        let attempt = try store.insertAttempt(sql, head: head, trial: number, session: request.session)
        guard
            let trial = try sql.rows(
                "SELECT \(PostgresSchema.trialColumns) FROM swifttuner.trial WHERE study = $1 AND number = $2",
                [study, .int(number)]
            ).first.map(PostgresStudyStore.decodeTrial)
        else {
            throw JournalError(
                .corrupted, path: store.url.redacted, "trial \(trialID(number)) vanished while it was claimed")
        }
        return (trial, attempt)
    }

    // Trials are created only under the study row's lock, which this transaction holds.
    func nextNumber() throws -> Int { head.nextNumber }

    func anyRunning() throws -> Bool {
        try sql.rows(
            "SELECT EXISTS (SELECT 1 FROM swifttuner.trial WHERE study = $1 AND status = 'RUNNING')",
            [study]
        ).first?.value(0, Bool.self) ?? false
    }

    func createTrial(_ number: Int, _ proposal: ProposedTrial) throws -> (TrialRecord, AttemptRecord) {
        try store.insertTrial(
            sql, head: head, number: number, values: proposal.values, seed: proposal.seed,
            session: request.session)
    }
}
