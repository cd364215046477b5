import Foundation
import PostgresNIO
import TunerCore
import TunerStore

/// The first row of a claim function's answer (``PostgresSchema/claimFunctions``).
struct CycleHead {
    /// 0: nothing written; 1: written, the claim takes the ordinary path; 2: written; 3: the
    /// number asked for was taken by another worker.
    let state: Int
    /// The server's clock, in seconds since 1970.
    let now: Double?
    /// The trial ends journaled when the function read them.
    let ends: Int?
    /// The number a new trial gets.
    let next: Int?
    /// The ended trial's place in end order.
    let endSeq: Int?
    /// The created trial's first attempt.
    let attempt: Int64?
    /// Whether this worker holds the study's creation turn after the call.
    let turn: Bool

    init(_ row: PostgresRandomAccessRow) throws {
        state = Int(try row.value(13, Int32.self))
        now = try row.optional(14)
        ends = try row.optional(15, Int32.self).map(Int.init)
        next = try row.optional(16, Int32.self).map(Int.init)
        endSeq = try row.optional(17, Int32.self).map(Int.init)
        attempt = try row.optional(18)
        turn = try row.optional(19, Bool.self) ?? false
    }
}

extension PostgresStudyStore {
    /// A worker's common cycle — a COMPLETED attempt ended, then a new trial created — in one
    /// or two round trips, each a server-side function in its own transaction that takes the
    /// study row's lock first (section 9's order is kept: the end and the streak are decided
    /// under that lock, and a trial is created only while its number is the next one).
    ///
    /// Where proposals do not depend on results (Grid, Random), the trials the worker may
    /// create next are proposed before the first function: the one after the trials it knows
    /// (Grid), or as many as the other workers created during its last cycle, twice over,
    /// where a proposal holds beside trials the worker has not seen (Random over a continuous
    /// space). The first function creates the one whose number is next if its proposal holds:
    /// one round trip. Otherwise it answers with the trials changed since the worker's marks
    /// and, when free, gives the worker the study's creation turn; the proposal is made from
    /// that state, whose end count the trial journals as its basis (S30), and the second
    /// function creates it.
    ///
    /// Whatever is not the common case (a failed trial, a stop, a closed session, queued work,
    /// a reap due, no proposal) is left to the ordinary transaction: `nil` when nothing was
    /// written, a commit without a claim when the end was.
    func finishAndClaimQuickly(
        _ attempt: AttemptRecord, _ end: AttemptEnd, session: Int64,
        decide: (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?,
        next request: ClaimRequest,
        propose: (_ number: Int, _ refreshed: [TrialRecord]) throws -> ProposedTrial?
    ) throws -> (AttemptCommit, Claim?)? {
        // A COMPLETED end sets the streak to 0; the rule is asked for that streak beforehand.
        guard end.trialStatus == .completed, let id = attempt.id, session == request.session,
            leaseLoss.withLock({ $0 }) == nil, interruption == nil, try decide(0, { [] }) == nil
        else { return nil }
        let base = stopBase.withLock { $0 }
        let epochs = EpochArrays(end)
        // The trials after the worker's known ones, proposed from what the worker knows (its own
        // trial still running): the next number only, or as many as other workers created
        // during its last cycle, twice over, where a proposal holds beside unseen trials.
        var guesses: [(number: Int, hyperparameters: String, seed: Int64)] = []
        let width = min(request.lookahead, 2 * lookaheadGap.withLock { $0 } + 1)
        for number in request.knownTrials..<request.knownTrials + width {
            guard request.maxTrials.map({ number < $0 }) ?? true, let proposal = try propose(number, []) else { break }
            guesses.append((number, encodeValues(proposal.values), Int64(bitPattern: proposal.seed)))
        }
        func literal<T>(_ items: [T], _ text: (T) -> String) -> String {
            "{" + items.map(text).joined(separator: ",") + "}"
        }
        let answer: [PostgresRandomAccessRow]?
        do {
            answer = try link.once { sql in
                try sql.rows(
                    """
                    SELECT * FROM swifttuner.finish_completed($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
                        $14::integer[], $15::text[], $16::float8[], $17, $18, $19, $20, $21, $22::bigint[], $23::text[],
                        $24::bigint[], $25)
                    """,
                    [
                        .int64(studyID), .int64(session), .int(base), .int64(id), .int(attempt.trial),
                        .text(end.outcome.rawValue), .bool(end.outcome.isCounted), .text(end.errorType),
                        .text(end.message), .text(end.trace), .double(end.duration), .double(finite(end.score)),
                        .text(end.metrics.isEmpty ? nil : encodeMetrics(end.metrics)), .text(epochs.epochs),
                        .text(epochs.names), .text(epochs.values), .double(end.score), .int(end.bestEpoch),
                        .text(encodeMetrics(end.metrics)), .int(request.knownTrials), .int(request.knownEnds),
                        .text(literal(guesses) { String($0.number) }),
                        .text(literal(guesses) { EpochArrays.quoted($0.hyperparameters) }),
                        .text(literal(guesses) { String($0.seed) }), .bool(request.lookahead > 1),
                    ])
            }
        } catch is UncertainWrite {
            guard let commit = try settleFinish(id, end) else { return nil }
            // The same transaction may have created one of the trials proposed beforehand.
            guard let last = guesses.last?.number else { return (commit, nil) }
            return (
                commit,
                try settleCreate(
                    request.knownTrials..<last + 1, known: request.knownTrials, session: session, refreshed: [],
                    ends: request.knownEnds)
            )
        }
        guard let answer, let first = answer.first else { return nil }
        let head = try CycleHead(first)
        guard head.state != 0 else { return nil }
        if let next = head.next { lookaheadGap.withLock { $0 = max(0, min(32, next - request.knownTrials)) } }
        let commit = AttemptCommit(streak: 0, endSeq: head.endSeq, stop: nil)
        if head.state == 4 {
            guard let number = head.next, let made = guesses.first(where: { $0.number == number }),
                let at = head.now, let attemptID = head.attempt, let ends = head.ends
            else {
                throw JournalError(
                    .corrupted, path: url.redacted,
                    "the server created a trial this worker did not propose (answer: next \(head.next ?? -1))")
            }
            // Its rows are every change up to its own end, the unseen trials among them.
            let trial = Self.newTrial(number, made.hyperparameters, made.seed, session: session, at: at)
            return (
                commit,
                Claim(
                    work: .run(trial, Self.firstAttempt(attemptID, trial: number, session: session, at: at),
                        isNew: true),
                    refreshed: try answer.dropFirst().map(Self.decodeTrial), ends: ends)
            )
        }
        guard head.state == 2, var number = head.next, var ends = head.ends, let now = head.now else {
            return (commit, nil)
        }
        // The creation turn, when the first function got it, is this worker's until the second
        // function releases it.
        var holdsTurn = head.turn
        defer { if holdsTurn { releaseTurn() } }
        var refreshed = try answer.dropFirst().map(Self.decodeTrial)
        var changes = refreshed
        // Another worker creates a trial meanwhile only through the ordinary transaction: a
        // few turns at most, then that transaction, which proposes with the lock held.
        for _ in 0..<3 {
            guard request.maxTrials.map({ number < $0 }) ?? true, now - lastReap.withLock({ $0 }) < 1,
                leaseLoss.withLock({ $0 }) == nil, interruption == nil,
                let proposal = try propose(number, changes)
            else { return (commit, nil) }
            let hyperparameters = encodeValues(proposal.values)
            let seed = Int64(bitPattern: proposal.seed)
            let created: [PostgresRandomAccessRow]?
            do {
                created = try link.once { sql in
                    try sql.rows(
                        "SELECT * FROM swifttuner.create_claimed($1, $2, $3, $4, $5, $6, $7, $8)",
                        [
                            .int64(studyID), .int64(session), .int(base), .int(number), .text(hyperparameters),
                            .int64(seed), .int(ends), .bool(holdsTurn),
                        ])
                }
            } catch is UncertainWrite {
                holdsTurn = false
                return (
                    commit,
                    try settleCreate(
                        number..<number + 1, known: number, session: session, refreshed: refreshed, ends: ends)
                )
            }
            guard let created, let first = created.first else { return (commit, nil) }
            let made = try CycleHead(first)
            switch made.state {
            case 2:
                holdsTurn = false
                guard let at = made.now, let attemptID = made.attempt else { return (commit, nil) }
                let trial = Self.newTrial(number, hyperparameters, seed, session: session, at: at)
                return (
                    commit,
                    Claim(
                        work: .run(trial, Self.firstAttempt(attemptID, trial: number, session: session, at: at),
                            isNew: true),
                        refreshed: refreshed, ends: ends)
                )
            case 3:
                holdsTurn = made.turn
                guard let next = made.next, let madeEnds = made.ends else { return (commit, nil) }
                changes = try created.dropFirst().map(Self.decodeTrial)
                refreshed = Self.merged(refreshed, changes)
                number = next
                ends = madeEnds
            default:
                holdsTurn = false
                return (commit, nil)
            }
        }
        return (commit, nil)
    }

    /// Gives the study's creation turn back (best effort: a lost connection gave it back).
    private func releaseTurn() {
        _ = try? link.once { sql in
            try sql.execute(
                "SELECT pg_advisory_unlock($1::integer, ($2 % 2147483647)::integer)",
                [.int(Int(PostgresSchema.turnKey)), .int64(studyID)])
        }
    }

    /// A trial just created, running its first attempt.
    static func newTrial(_ number: Int, _ hyperparameters: String, _ seed: Int64, session: Int64, at now: Double)
        -> TrialRecord
    {
        TrialRecord(
            number: number, status: .running, hyperparameters: hyperparameters, seed: seed, score: nil,
            bestEpoch: nil, metrics: nil, errorType: nil, message: nil, createdSession: session, createdAt: now,
            endedAt: nil, endSeq: nil)
    }

    /// ``PostgresSchema/trialColumns`` of the table named `t`.
    static let qualifiedTrialColumns = PostgresSchema.trialColumns.split(separator: ",")
        .map { "t." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")

    /// A new trial's first attempt, open.
    static func firstAttempt(_ id: Int64, trial: Int, session: Int64, at now: Double) -> AttemptRecord {
        AttemptRecord(
            id: id, trial: trial, number: 1, session: session, outcome: nil, counted: false, graceful: false,
            errorType: nil, message: nil, trace: nil, startedAt: now, endedAt: nil, duration: nil, score: nil,
            metrics: nil)
    }

    /// Trials by number, the later reading of a trial replacing the earlier.
    static func merged(_ earlier: [TrialRecord], _ later: [TrialRecord]) -> [TrialRecord] {
        var byNumber: [Int: TrialRecord] = [:]
        for trial in earlier + later { byNumber[trial.number] = trial }
        return byNumber.values.sorted { $0.number < $1.number }
    }

    /// Whether an end whose answer was lost was written: the attempt closed with this end's
    /// outcome (nobody else writes it) means it was, and the end order is read back. Anything
    /// else is left to the ordinary path, which fences the result when another worker closed it.
    private func settleFinish(_ id: Int64, _ end: AttemptEnd) throws -> AttemptCommit? {
        let row = try link.run { sql in
            try sql.rows(
                """
                SELECT a.outcome, t.end_seq FROM swifttuner.attempt a
                JOIN swifttuner.trial t ON t.study = a.study AND t.number = a.trial WHERE a.id = $1
                """, [.int64(id)]
            ).first
        }
        guard let row, try row.optional(0, String.self) == end.outcome.rawValue,
            let endSeq = try row.optional(1, Int32.self)
        else { return nil }
        return AttemptCommit(streak: 0, endSeq: Int(endSeq), stop: nil)
    }

    /// Whether a creation whose answer was lost was written: a trial of `numbers` made by this
    /// session, with its first attempt still open. The trials from `known` up to it, which the
    /// worker has not seen, are read with it. Otherwise the ordinary claim goes on.
    private func settleCreate(
        _ numbers: Range<Int>, known: Int, session: Int64, refreshed: [TrialRecord], ends: Int
    ) throws -> Claim? {
        try link.run { sql in
            guard
                let row = try sql.rows(
                    """
                    SELECT \(Self.qualifiedTrialColumns), a.id FROM swifttuner.trial t
                    JOIN swifttuner.attempt a ON a.study = t.study AND a.trial = t.number AND a.number = 1
                    WHERE t.study = $1 AND t.number >= $2 AND t.number < $3 AND t.created_session = $4
                        AND a.session = $4 AND a.outcome IS NULL
                    ORDER BY t.number LIMIT 1
                    """, [.int64(studyID), .int(numbers.lowerBound), .int(numbers.upperBound), .int64(session)]
                ).first
            else { return nil }
            let trial = try Self.decodeTrial(row)
            let attempt = Self.firstAttempt(
                try row.value(13), trial: trial.number, session: session, at: trial.createdAt)
            let unseen = try sql.rows(
                """
                SELECT \(PostgresSchema.trialColumns) FROM swifttuner.trial WHERE study = $1 AND number >= $2
                    AND number < $3 ORDER BY number
                """, [.int64(studyID), .int(known), .int(trial.number)]
            ).map(Self.decodeTrial)
            return Claim(
                work: .run(trial, attempt, isNew: true), refreshed: Self.merged(refreshed, unseen), ends: ends)
        }
    }
}
