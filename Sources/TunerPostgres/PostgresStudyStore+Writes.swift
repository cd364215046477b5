import Foundation
import TunerCore
import TunerStore

/// What every write transaction reads first, with the study row's lock. The counts change
/// only by this transaction's own writes while it holds the lock, which keep them current.
final class WriteHead {
    /// The server's clock, in seconds since 1970.
    let now: Double
    /// The study's stop count.
    let stopCount: Int
    /// The trial ends journaled so far.
    var endCount: Int
    /// The consecutive-failure streak (S15).
    var streak: Int
    /// The number a new trial gets: one more than the highest so far.
    var nextNumber: Int

    init(now: Double, stopCount: Int, endCount: Int, streak: Int, nextNumber: Int) {
        self.now = now
        self.stopCount = stopCount
        self.endCount = endCount
        self.streak = streak
        self.nextNumber = nextNumber
    }
}

extension PostgresStudyStore {
    /// Runs one write transaction: it locks the study's row first, which orders every state
    /// change of the study (trial ends, streak, stops), and refuses to run after a journaled
    /// graceful stop (S6a).
    func write<T>(_ body: (Statements, WriteHead) throws -> T) throws -> T {
        if let stop = interruption { throw stop }
        return try link.transaction { sql in
            let head = try readHead(sql)
            if let stop = interruption { throw stop }
            return try body(sql, head)
        }
    }

    /// Locks the study's row and reads the head, in one round trip: every write needs the
    /// clock and the counts, a claim the next number. Only the locked row's own columns are
    /// read: after waiting for the lock, the statement sees that row's newest version, but
    /// any other table as it was when the statement began.
    func readHead(_ sql: Statements) throws -> WriteHead {
        guard
            let row = try sql.rows(
                """
                SELECT extract(epoch FROM clock_timestamp())::float8, stop_count, end_count, streak, next_trial
                FROM swifttuner.study WHERE id = $1 FOR UPDATE
                """, [.int64(studyID)]
            ).first
        else {
            throw JournalError(.missing, path: url.redacted, "the study \"\(studyName)\" was deleted from the database")
        }
        return WriteHead(
            now: try row.value(0), stopCount: Int(try row.value(1, Int32.self)),
            endCount: Int(try row.value(2, Int32.self)), streak: Int(try row.value(3, Int32.self)),
            nextNumber: Int(try row.value(4, Int32.self)))
    }

    package func startSession(limits: String, pid: Int, host: String) throws -> SessionRecord {
        let session: SessionRecord = try write { sql, head in
            // A stop journaled while some open session was running belongs to the workers now
            // winding down and ends this one at once; an older stop is a past one (S19).
            var base = head.stopCount
            if head.stopCount > 0,
                try sql.rows(
                    """
                    SELECT EXISTS (SELECT 1 FROM swifttuner.session s JOIN swifttuner.study st ON st.id = s.study
                        WHERE s.study = $1 AND s.ended_at IS NULL AND s.started_at <= st.stopped_at)
                    """, [.int64(studyID)]
                ).first?.value(0, Bool.self) == true
            {
                base -= 1
            }
            stopBase.withLock { $0 = base }
            let rows = try sql.rows(
                """
                INSERT INTO swifttuner.session (study, pid, host, started_at, limits, worker, lease_until)
                VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp() + make_interval(secs => $7)) RETURNING id
                """,
                [
                    .int64(studyID), .int(pid), .text(host), .double(head.now), .text(limits), .text(workerID ?? ""),
                    .double(leaseSeconds),
                ])
            var session = SessionRecord(
                id: try rows.first?.value(0, Int64.self), pid: pid, host: host, startedAt: head.now,
                endedAt: nil, stopReason: nil, message: nil, limits: limits)
            session.worker = workerID
            return session
        }
        if let id = session.id { startLease(session: id) }
        return session
    }

    package func recover() throws -> RecoveryReport {
        try write { sql, head in
            var report = RecoveryReport(closedSessions: [], interruptedAttempts: 0, stoppedTrials: [])
            for (id, attempts) in try reapDead(sql, head: head, current: nil) {
                report.closedSessions.append(id)
                report.interruptedAttempts += attempts
            }
            // Attempts left open by a session that did end (S6a): closed as interrupted.
            report.interruptedAttempts += try sql.execute(
                """
                UPDATE swifttuner.attempt a SET outcome = 'interrupted', counted = false, graceful = true, error_type \
                = $2,
                    message = 'left open by an ended session; closed at the next open',
                    ended_at = COALESCE(s.ended_at, a.started_at), duration = GREATEST(0, COALESCE(s.ended_at, \
                a.started_at) - a.started_at)
                FROM swifttuner.session s
                WHERE a.study = $1 AND a.outcome IS NULL AND s.id = a.session AND s.ended_at IS NOT NULL
                """, [.int64(studyID), .text(Self.interruptedErrorType)])
            report.stoppedTrials = try stopOrphanedTrials(sql, message: "the process died while running this trial")
            return report
        }
    }

    /// Closes the open sessions of dead workers: a session of this worker's own id that is not
    /// the current one (the id was restarted), or one whose lease ran out. Their open attempts
    /// become `interrupted` (a death, S7). Returns the sessions and how many attempts each had.
    func reapDead(_ sql: Statements, head: WriteHead, current: Int64?) throws -> [(Int64, Int)] {
        let dead = try sql.rows(
            """
            SELECT id, started_at, worker = $3, extract(epoch FROM clock_timestamp() - lease_until)::float8
            FROM swifttuner.session
            WHERE study = $1 AND ended_at IS NULL AND id <> $2 AND (worker = $3 OR lease_until < clock_timestamp())
            ORDER BY id
            """, [.int64(studyID), .int64(current ?? -1), .text(workerID ?? "")])
        var closed: [(Int64, Int)] = []
        for row in dead {
            let id: Int64 = try row.value(0)
            let startedAt: Double = try row.value(1)
            let restarted: Bool = try row.value(2)
            let overdue: Double = try row.value(3)
            let lastSeen =
                try sql.rows(
                    """
                    SELECT GREATEST(
                        (SELECT MAX(started_at) FROM swifttuner.attempt WHERE session = $1),
                        (SELECT MAX(ended_at) FROM swifttuner.attempt WHERE session = $1),
                        (SELECT MAX(created_at) FROM swifttuner.trial WHERE study = $2 AND created_session = $1))
                    """, [.int64(id), .int64(studyID)]
                ).first?.optional(0, Double.self) ?? startedAt
            let ended = max(lastSeen, startedAt)
            let why =
                restarted
                ? "the process died; found when its worker id restarted"
                : "the worker's lease ran out \(String(format: "%.1f", max(0, overdue))) s ago: it died, was paused " +
                    "or lost the network"
            let attempts = try sql.execute(
                """
                UPDATE swifttuner.attempt SET outcome = 'interrupted', counted = false, graceful = false,
                    message = 'the process died while running this attempt', ended_at = $2, duration = GREATEST(0, $2 \
                - started_at)
                WHERE session = $1 AND outcome IS NULL
                """, [.int64(id), .double(ended)])
            try sql.execute(
                "UPDATE swifttuner.session SET ended_at = $2, stop_reason = 'interrupted', message = $3 WHERE id = $1",
                [.int64(id), .double(ended), .text(why)])
            closed.append((id, attempts))
        }
        if !closed.isEmpty { _ = try stopOrphanedTrials(sql, message: "the worker died while running this trial") }
        return closed
    }

    /// Marks STOPPED (to be re-run first) every RUNNING trial that no open attempt runs.
    func stopOrphanedTrials(_ sql: Statements, message: String) throws -> [Int] {
        try sql.rows(
            """
            UPDATE swifttuner.trial t SET status = 'STOPPED', error_type = $2, message = $3
            WHERE t.study = $1 AND t.status = 'RUNNING' AND NOT EXISTS (
                SELECT 1 FROM swifttuner.attempt a WHERE a.study = t.study AND a.trial = t.number AND a.outcome IS NULL)
            RETURNING t.number
            """, [.int64(studyID), .text(Self.interruptedErrorType), .text(message)]
        ).map { Int(try $0.value(0, Int32.self)) }.sorted()
    }

    package func createTrial(
        number: Int, values: [String: HyperParameterValue], seed: UInt64,
        session: Int64
    ) throws -> (TrialRecord, AttemptRecord) {
        try write { sql, head in
            try insertTrial(sql, head: head, number: number, values: values, seed: seed, session: session)
        }
    }

    /// Inserts a trial with the basis of its proposal (the trial ends so far) and its first attempt.
    func insertTrial(
        _ sql: Statements, head: WriteHead, number: Int, values: [String: HyperParameterValue], seed: UInt64,
        session: Int64
    ) throws -> (TrialRecord, AttemptRecord) {
        let trial = TrialRecord(
            number: number, status: .running, hyperparameters: encodeValues(values),
            seed: Int64(bitPattern: seed), score: nil, bestEpoch: nil, metrics: nil, errorType: nil,
            message: nil, createdSession: session, createdAt: head.now, endedAt: nil, endSeq: nil)
        // The trial, its first attempt and the study's next number in one statement; its basis
        // is the ends so far.
        let id = try sql.rows(
            """
            WITH t AS (
                INSERT INTO swifttuner.trial (study, number, status, hyperparameters, seed, created_session, \
            created_at, basis)
                VALUES ($1, $2, 'RUNNING', $3, $4, $5, $6, $7) RETURNING number),
            s AS (UPDATE swifttuner.study SET next_trial = GREATEST(next_trial, $2 + 1) WHERE id = $1)
            INSERT INTO swifttuner.attempt (study, trial, number, session, started_at)
            SELECT $1, t.number, 1, $5, $6 FROM t RETURNING id
            """,
            [
                .int64(studyID), .int(number), .text(trial.hyperparameters), .int64(trial.seed), .int64(session),
                .double(head.now), .int(head.endCount),
            ]
        ).first?.value(0, Int64.self)
        head.nextNumber = max(head.nextNumber, number + 1)
        let attempt = AttemptRecord(
            id: id, trial: number, number: 1, session: session, outcome: nil, counted: false,
            graceful: false, errorType: nil, message: nil, trace: nil, startedAt: head.now,
            endedAt: nil, duration: nil, score: nil, metrics: nil)
        return (trial, attempt)
    }

    package func startAttempt(trial number: Int, session: Int64) throws -> AttemptRecord {
        try write { sql, head in try insertAttempt(sql, head: head, trial: number, session: session) }
    }

    func insertAttempt(_ sql: Statements, head: WriteHead, trial number: Int, session: Int64) throws -> AttemptRecord {
        let row = try sql.rows(
            """
            INSERT INTO swifttuner.attempt (study, trial, number, session, started_at)
            SELECT $1, $2, COALESCE(MAX(number), 0) + 1, $3, $4 FROM swifttuner.attempt WHERE study = $1 AND trial = $2
            RETURNING id, number
            """, [.int64(studyID), .int(number), .int64(session), .double(head.now)]
        ).first
        try sql.execute(
            "UPDATE swifttuner.trial SET status = 'RUNNING' WHERE study = $1 AND number = $2",
            [.int64(studyID), .int(number)])
        return AttemptRecord(
            id: try row?.value(0, Int64.self), trial: number, number: Int(try row?.value(1, Int32.self) ?? 1),
            session: session, outcome: nil, counted: false, graceful: false, errorType: nil, message: nil,
            trace: nil, startedAt: head.now, endedAt: nil, duration: nil, score: nil, metrics: nil)
    }

    package func finishAttempt(
        _ attempt: AttemptRecord, _ end: AttemptEnd, session: Int64?,
        decide: (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    )
        throws -> AttemptCommit
    {
        try write { sql, head in try finishAttempt(sql, head: head, attempt, end, session: session, decide: decide) }
    }

    func finishAttempt(
        _ sql: Statements, head: WriteHead, _ attempt: AttemptRecord, _ end: AttemptEnd, session: Int64?,
        decide: (Int, () throws -> [Int]) throws -> SessionStop?
    ) throws -> AttemptCommit {
        guard let id = attempt.id else {
            throw JournalError(.writeFailed, path: url.redacted, "an attempt without an id cannot be finished")
        }
        let now = head.now
        let lost = leaseLoss.withLock { $0 }
        let changed: Int
        if let lost {
            // The lease was lost while the attempt ran: whatever it returned was cut short. The
            // attempt ends as interrupted (uncounted) and its result is kept as a late one.
            changed = 0
            let closed = try sql.execute(
                """
                UPDATE swifttuner.attempt SET outcome = 'interrupted', counted = false, graceful = true, error_type = \
                $2,
                    message = $3, ended_at = $4, duration = GREATEST(0, $4 - started_at)
                WHERE id = $1 AND outcome IS NULL
                """, [.int64(id), .text(Self.interruptedErrorType), .text(lost), .double(now)])
            if closed > 0 { _ = try stopOrphanedTrials(sql, message: lost) }
        } else {
            changed = try closeAttempt(sql, id, end, at: now)
        }
        guard changed == 1 else {
            // Fenced (section 9): the attempt was closed by a worker that found this one's lease
            // run out. The result is kept for diagnosis only; the trial is not touched.
            try sql.execute(
                """
                INSERT INTO swifttuner.late_result (study, attempt, session, at, outcome, score, message)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """,
                [
                    .int64(studyID), .int64(id), .int64(attempt.session), .double(now), .text(end.outcome.rawValue),
                    .double(finite(end.score)), .text(end.message),
                ])
            return AttemptCommit(streak: head.streak, endSeq: nil, stop: nil, fenced: true)
        }
        let ended: (streak: Int, endSeq: Int?)
        let key: [SQLValue] = [.int64(studyID), .int(attempt.trial)]
        switch end.trialStatus {
        case .completed:
            ended = try endTrial(
                sql, head: head, number: attempt.trial, failed: false, at: now,
                setting:
                    "status = 'COMPLETED', score = $5, best_epoch = $6, metrics = $7, error_type = NULL, message = " +
                        "NULL",
                [.double(end.score), .int(end.bestEpoch), .text(encodeMetrics(end.metrics))])
        case .failed:
            ended = try endTrial(
                sql, head: head, number: attempt.trial, failed: true, at: now,
                setting: "status = 'FAILED', error_type = $5, message = $6", [.text(end.errorType), .text(end.message)])
        default:
            try sql.execute(
                "UPDATE swifttuner.trial SET status = $3, error_type = $4, message = $5 WHERE study = $1 AND number " +
                    "= $2",
                key + [.text(end.trialStatus.rawValue), .text(end.errorType), .text(end.message)])
            ended = (head.streak, nil)
        }
        return try commit(sql, head: head, ended, session: session, decide: decide)
    }

    /// Closes an open attempt with its end and inserts its epoch metrics, in one statement;
    /// returns 0 when the attempt was no longer open (fenced), else 1.
    private func closeAttempt(_ sql: Statements, _ id: Int64, _ end: AttemptEnd, at now: Double) throws -> Int {
        let epochs = EpochArrays(end)
        let rows = try sql.rows(
            """
            WITH a AS (
                UPDATE swifttuner.attempt SET outcome = $2, counted = $3, error_type = $4, message = $5, trace = $6,
                    ended_at = $7, duration = $8, score = $9, metrics = $10
                WHERE id = $1 AND outcome IS NULL RETURNING id),
            m AS (
                INSERT INTO swifttuner.epoch_metric (attempt, epoch, name, value)
                SELECT a.id, u.e, u.n, u.v FROM a, unnest($11::integer[], $12::text[], $13::float8[]) AS u(e, n, v))
            SELECT count(*) FROM a
            """,
            [
                .int64(id), .text(end.outcome.rawValue), .bool(end.outcome.isCounted), .text(end.errorType),
                .text(end.message), .text(end.trace), .double(now), .double(end.duration), .double(finite(end.score)),
                .text(end.metrics.isEmpty ? nil : encodeMetrics(end.metrics)), .text(epochs.epochs),
                .text(epochs.names), .text(epochs.values),
            ])
        return Int(try rows.first?.value(0, Int64.self) ?? 0)
    }

    package func failTrial(
        _ number: Int, errorType: String, message: String, session: Int64?,
        decide: (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    )
        throws -> AttemptCommit
    {
        try write { sql, head in
            try failTrial(
                sql, head: head, number, errorType: errorType, message: message, session: session,
                decide: decide)
        }
    }

    func failTrial(
        _ sql: Statements, head: WriteHead, _ number: Int, errorType: String, message: String, session: Int64?,
        decide: (Int, () throws -> [Int]) throws -> SessionStop?
    ) throws -> AttemptCommit {
        let ended = try endTrial(
            sql, head: head, number: number, failed: true, at: head.now,
            setting: "status = 'FAILED', error_type = $5, message = $6", [.text(errorType), .text(message)])
        return try commit(sql, head: head, ended, session: session, decide: decide)
    }

    private func commit(
        _ sql: Statements, head: WriteHead, _ ended: (streak: Int, endSeq: Int?), session: Int64?,
        decide: (Int, () throws -> [Int]) throws -> SessionStop?
    ) throws -> AttemptCommit {
        let streak = ended.streak
        let failedRun = { () throws -> [Int] in
            Array(
                try sql.rows(
                    """
                    SELECT number FROM swifttuner.trial WHERE study = $1 AND end_seq IS NOT NULL ORDER BY end_seq DESC \
                    LIMIT $2
                    """, [.int64(self.studyID), .int(streak)]
                ).map { Int(try $0.value(0, Int32.self)) }.reversed())
        }
        // A worker whose attempt ends after another worker's stop journals it, but never
        // triggers a second stop (section 9).
        guard !stopSeen(head), let stop = try decide(streak, failedRun) else {
            return AttemptCommit(streak: streak, endSeq: ended.endSeq, stop: nil)
        }
        if let session {
            try sql.execute(
                "UPDATE swifttuner.session SET ended_at = $2, stop_reason = $3, message = $4 WHERE id = $1",
                [.int64(session), .double(head.now), .text(stop.reason.rawValue), .text(stop.message)])
            try sql.execute(
                """
                UPDATE swifttuner.study SET stop_count = stop_count + 1, stop_session = $2, stopped_at = $3 WHERE id = \
                $1
                """, [.int64(studyID), .int64(session), .double(head.now)])
        }
        return AttemptCommit(streak: streak, endSeq: ended.endSeq, stop: stop)
    }

    /// Whether the stop count passed this worker's base: another worker journaled a stop.
    func stopSeen(_ head: WriteHead) -> Bool {
        head.stopCount > stopBase.withLock { $0 }
    }

    /// Ends a trial in one statement: sets its columns (`setting`, whose binds start at $5),
    /// and assigns the next place in end order and the streak (S15, S18).
    private func endTrial(
        _ sql: Statements, head: WriteHead, number: Int, failed: Bool, at now: Double,
        setting: String, _ values: [SQLValue]
    ) throws -> (streak: Int, endSeq: Int?) {
        let row = try sql.rows(
            """
            WITH s AS (
                UPDATE swifttuner.study SET end_count = end_count + 1, streak = CASE WHEN $3 THEN streak + 1 ELSE 0 END
                WHERE id = $1 RETURNING end_count, streak),
            t AS (
                UPDATE swifttuner.trial SET \(setting), ended_at = $4, end_seq = (SELECT end_count FROM s)
                WHERE study = $1 AND number = $2)
            SELECT end_count, streak FROM s
            """, [.int64(studyID), .int(number), .bool(failed), .double(now)] + values
        ).first
        let endSeq = Int(try row?.value(0, Int32.self) ?? 0)
        head.endCount = endSeq
        head.streak = Int(try row?.value(1, Int32.self) ?? 0)
        return (head.streak, endSeq)
    }

    package func extendSpace(_ space: SearchSpace, trial number: Int, values: [String: HyperParameterValue]) throws {
        let json = try Self.encodeSpace(space)
        try write { sql, head in
            try sql.execute(
                """
                INSERT INTO swifttuner.amendment (study, at, what, previous, current)
                SELECT id, $2, 'space', space, $3 FROM swifttuner.study WHERE id = $1
                """, [.int64(studyID), .double(head.now), .text(json)])
            try sql.execute("UPDATE swifttuner.study SET space = $2 WHERE id = $1", [.int64(studyID), .text(json)])
            try sql.execute(
                "UPDATE swifttuner.trial SET hyperparameters = $3 WHERE study = $1 AND number = $2",
                [.int64(studyID), .int(number), .text(encodeValues(values))])
        }
    }

    package func endSession(_ id: Int64, reason: StopReason, message: String?) throws {
        _ = try write { sql, head in
            try sql.execute(
                "UPDATE swifttuner.session SET ended_at = $2, stop_reason = $3, message = $4 WHERE id = $1 AND " +
                    "ended_at IS NULL",
                [.int64(id), .double(head.now), .text(reason.rawValue), .text(message)])
        }
        stopLease()
    }

    package func abandon(session id: Int64, message: String) throws {
        defer { stopLease() }
        _ = try write { sql, head in
            try closeOpenAttempts(sql, session: id, graceful: true, message: message, at: head.now)
            try sql.execute(
                "UPDATE swifttuner.session SET ended_at = $2, stop_reason = 'error', message = $3 WHERE id = $1 AND " +
                    "ended_at IS NULL",
                [.int64(id), .double(head.now), .text(message)])
        }
    }

    package func interrupt(session id: Int64, signal: Int32, signalName: String) throws {
        let stop = SearchInterruptedError(signal: signal, signalName: signalName, session: id)
        defer { stopLease() }
        try write { sql, head in
            // Set first: should this transaction fail, writes stay refused and the lease runs
            // out, so another worker closes the session.
            stopping.withLock { $0 = stop }
            try closeOpenAttempts(sql, session: id, graceful: true, message: "stopped by \(signalName)", at: head.now)
            try sql.execute(
                "UPDATE swifttuner.session SET ended_at = $2, stop_reason = 'interrupted', message = $3 WHERE id = $1",
                [.int64(id), .double(head.now), .text("stopped by \(signalName)")])
        }
    }

    func closeOpenAttempts(_ sql: Statements, session id: Int64, graceful: Bool, message: String, at now: Double) throws
    {
        let trials = try sql.rows(
            """
            UPDATE swifttuner.attempt SET outcome = 'interrupted', counted = false, graceful = $2, error_type = $3,
                message = $4, ended_at = $5, duration = GREATEST(0, $5 - started_at)
            WHERE session = $1 AND outcome IS NULL RETURNING trial
            """, [.int64(id), .bool(graceful), .text(Self.interruptedErrorType), .text(message), .double(now)])
        for row in trials {
            try sql.execute(
                """
                UPDATE swifttuner.trial SET status = 'STOPPED', error_type = $3, message = $4
                WHERE study = $1 AND number = $2 AND status = 'RUNNING'
                """,
                [
                    .int64(studyID), .int(Int(try row.value(0, Int32.self))), .text(Self.interruptedErrorType),
                    .text(message),
                ])
        }
    }

    /// Nothing to prepare: the server keeps its own log.
    package func resumeLogging() throws {}

    /// Nothing to consolidate: the study is never split over files.
    package func consolidate() {}
}

/// An attempt's epoch metrics as three PostgreSQL array literals (epoch, name, value), bound
/// as text: one statement whatever the number of epochs.
struct EpochArrays {
    let epochs: String
    let names: String
    let values: String

    init(_ end: AttemptEnd) {
        var epochs: [Int] = []
        var names: [String] = []
        var values: [Double?] = []
        for (epoch, metrics) in end.epochs.enumerated() {
            for (name, value) in metrics.sorted(by: { $0.key < $1.key }) {
                epochs.append(epoch)
                names.append(storedText(name))
                values.append(finite(value))
            }
        }
        func literal<T>(_ items: [T], _ text: (T) -> String) -> String {
            "{" + items.map(text).joined(separator: ",") + "}"
        }
        self.epochs = literal(epochs) { String($0) }
        self.names = literal(names, Self.quoted)
        self.values = literal(values) { $0.map { "\($0)" } ?? "NULL" }
    }

    /// Text as an element of a PostgreSQL array literal: quoted, its quotes and backslashes escaped.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

func finite(_ value: Double?) -> Double? {
    guard let value, value.isFinite else { return nil }
    return value
}
