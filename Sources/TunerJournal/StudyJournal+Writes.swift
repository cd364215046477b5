import Foundation
import GRDB
import TunerCore

extension StudyJournal {
    /// The error type of an attempt or trial an interruption ended.
    static let interruptedErrorType = ClaimPlan.interruptedErrorType

    /// The current time, in seconds since 1970.
    static var now: Double { Date().timeIntervalSince1970 }

    /// Closes sessions that did not end (their process died): their open attempts become
    /// `interrupted` and their RUNNING trials STOPPED, in one transaction (S23, S26).
    package func recover() throws -> RecoveryReport {
        try write { db in
            var report = RecoveryReport(closedSessions: [], interruptedAttempts: 0, stoppedTrials: [])
            let open = try SessionRecord.filter(Column("endedAt") == nil).fetchAll(db)
            // A worker closes only the sessions of dead workers; the one writer closes them all.
            let dead = membership.map { membership in open.filter { membership.isDead($0, current: nil) } } ?? open
            for session in dead {
                guard let id = session.id else { continue }
                report.interruptedAttempts += try closeDeadSession(db, session)
                report.closedSessions.append(id)
            }
            // Attempts left open by a session that did end (S6a): closed as interrupted.
            try db.run(
                sql: """
                    UPDATE attempt SET outcome = ?, counted = 0, graceful = 1, errorType = ?,
                        message = 'left open by an ended session; closed at the next open',
                        endedAt = COALESCE((SELECT endedAt FROM session WHERE session.id = attempt.session), startedAt),
                        duration = MAX(0, COALESCE((SELECT endedAt FROM session WHERE session.id = attempt.session), \
                    startedAt) - startedAt)
                    WHERE outcome IS NULL AND (SELECT endedAt FROM session WHERE session.id = attempt.session) IS NOT \
                    NULL
                    """, arguments: [AttemptOutcome.interrupted, Self.interruptedErrorType])
            report.interruptedAttempts += db.changesCount
            report.stoppedTrials = try stopOrphanedTrials(db, message: "the process died while running this trial")
            return report
        }
    }

    /// Closes a session whose process died: its open attempts become `interrupted` (a death,
    /// S7), the session ends `interrupted` at the last instant it was seen. Returns the
    /// attempts closed.
    func closeDeadSession(_ db: Database, _ session: SessionRecord) throws -> Int {
        guard let id = session.id else { return 0 }
        let lastSeen =
            try Double.fetchOne(
                db,
                sql: """
                    SELECT MAX(t) FROM (
                        SELECT MAX(startedAt) AS t FROM attempt WHERE session = ?1
                        UNION ALL SELECT MAX(endedAt) FROM attempt WHERE session = ?1
                        UNION ALL SELECT MAX(createdAt) FROM trial WHERE createdSession = ?1)
                    """, arguments: [id]) ?? session.startedAt
        let ended = max(lastSeen, session.startedAt)
        try db.run(
            sql: """
                UPDATE attempt SET outcome = ?, counted = 0, graceful = 0,
                    message = 'the process died while running this attempt',
                    endedAt = ?, duration = MAX(0, ? - startedAt)
                WHERE session = ? AND outcome IS NULL
                """, arguments: [AttemptOutcome.interrupted, ended, ended, id])
        let closed = db.changesCount
        try db.run(
            sql: """
                UPDATE session SET endedAt = ?, stopReason = ?,
                    message = 'the process died; found at the next open' WHERE id = ?
                """, arguments: [ended, StopReason.interrupted, id])
        return closed
    }

    /// Marks STOPPED (to be re-run first) every RUNNING trial that no open attempt runs.
    /// Returns their numbers.
    func stopOrphanedTrials(_ db: Database, message: String) throws -> [Int] {
        let orphans = try Int.fetchAll(
            db,
            sql: """
                SELECT number FROM trial WHERE status = ? AND NOT EXISTS (
                    SELECT 1 FROM attempt WHERE attempt.trial = trial.number AND attempt.outcome IS NULL)
                ORDER BY number
                """, arguments: [TrialStatus.running])
        for number in orphans {
            try db.run(
                sql: "UPDATE trial SET status = ?, errorType = ?, message = ? WHERE number = ?",
                arguments: [TrialStatus.stopped, Self.interruptedErrorType, journalText(message), number])
        }
        return orphans
    }

    /// Starts a session.
    package func startSession(limits: String, pid: Int, host: String) throws -> SessionRecord {
        try write { db in
            var session = SessionRecord(
                id: nil, pid: pid, host: host, startedAt: Self.now, endedAt: nil,
                stopReason: nil, message: nil, limits: limits)
            session.worker = membership?.id
            if let membership { try membership.join(db) }
            try session.insert(db)
            return session
        }
    }

    /// Creates a trial and starts its first attempt, in one transaction (S22).
    package func createTrial(
        number: Int, values: [String: HyperParameterValue], seed: UInt64,
        session: Int64
    ) throws -> (TrialRecord, AttemptRecord) {
        try write { db in try insertTrial(db, number: number, values: values, seed: seed, session: session) }
    }

    /// Inserts a trial, its first attempt and the basis of its proposal: the number of trials
    /// that had ended when it was proposed (section 9), so that the proposal can be re-derived.
    func insertTrial(
        _ db: Database, number: Int, values: [String: HyperParameterValue], seed: UInt64,
        session: Int64
    ) throws -> (TrialRecord, AttemptRecord) {
        let now = Self.now
        let trial = TrialRecord(
            number: number, status: .running, hyperparameters: encodeValues(values),
            seed: Int64(bitPattern: seed), score: nil, bestEpoch: nil, metrics: nil, errorType: nil,
            message: nil, createdSession: session, createdAt: now, endedAt: nil, endSeq: nil)
        try db.run(
            sql: """
                INSERT INTO trial (number, status, hyperparameters, seed, createdSession, createdAt)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [number, trial.status, trial.hyperparameters, trial.seed, session, now])
        try db.run(
            sql: "INSERT INTO proposal (trial, basis) SELECT ?, endCount FROM study WHERE id = 1", arguments: [number])
        return (trial, try insertOpenAttempt(db, trial: number, number: 1, session: session, at: now))
    }

    /// Starts another attempt of an existing trial (a retry or a re-run), marking it RUNNING.
    package func startAttempt(trial number: Int, session: Int64) throws -> AttemptRecord {
        try write { db in try insertAttempt(db, trial: number, session: session) }
    }

    func insertAttempt(_ db: Database, trial number: Int, session: Int64) throws -> AttemptRecord {
        let next =
            (try Int.fetchOne(
                db.cachedStatement(sql: "SELECT MAX(number) FROM attempt WHERE trial = ?"), arguments: [number]) ?? 0)
            + 1
        let attempt = try insertOpenAttempt(db, trial: number, number: next, session: session, at: Self.now)
        try db.run(sql: "UPDATE trial SET status = ? WHERE number = ?", arguments: [TrialStatus.running, number])
        return attempt
    }

    /// Inserts an attempt that starts now, through a cached statement (every trial runs it).
    func insertOpenAttempt(
        _ db: Database, trial: Int, number: Int, session: Int64, at now: Double
    ) throws -> AttemptRecord {
        try db.run(
            sql: """
                INSERT INTO attempt (trial, number, session, counted, graceful, startedAt) VALUES (?, ?, ?, 0, 0, ?)
                """,
            arguments: [trial, number, session, now])
        return AttemptRecord(
            id: db.lastInsertedRowID, trial: trial, number: number, session: session, outcome: nil, counted: false,
            graceful: false, errorType: nil, message: nil, trace: nil, startedAt: now,
            endedAt: nil, duration: nil, score: nil, metrics: nil)
    }

    /// Ends an attempt, sets its trial's status and, when the trial ends, its end order and
    /// the streak — all in one transaction (S22, S18). When `decide` returns a stop, the same
    /// transaction ends `session` with it (S17, S20), so no crash can separate the trigger
    /// from the stop.
    ///
    /// - Parameters:
    ///   - session: the session to end when `decide` says so.
    ///   - decide: given the streak after this attempt and a reader of the trailing FAILED
    ///     trials (oldest first), whether the session stops.
    @discardableResult
    package func finishAttempt(
        _ attempt: AttemptRecord, _ end: AttemptEnd, session: Int64? = nil,
        decide: (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop? = { _, _ in nil }
    )
        throws -> AttemptCommit
    {
        try write { db in try finishAttempt(db, attempt, end, session: session, decide: decide) }
    }

    func finishAttempt(
        _ db: Database, _ attempt: AttemptRecord, _ end: AttemptEnd, session: Int64?,
        decide: (Int, () throws -> [Int]) throws -> SessionStop?
    ) throws -> AttemptCommit {
        guard let id = attempt.id else {
            throw JournalError(.writeFailed, path: path, "an attempt without an id cannot be finished")
        }
        do {
            let now = Self.now
            try db.run(
                sql: """
                    UPDATE attempt SET outcome = ?, counted = ?, errorType = ?, message = ?, trace = ?,
                        endedAt = ?, duration = ?, score = ?, metrics = ? WHERE id = ? AND outcome IS NULL
                    """,
                arguments: [
                    end.outcome, end.outcome.isCounted, journalText(end.errorType), journalText(end.message),
                    journalText(end.trace),
                    now, end.duration, finite(end.score), end.metrics.isEmpty ? nil : encodeMetrics(end.metrics), id,
                ])
            guard db.changesCount == 1 else {
                // Fenced (section 9): another worker found this attempt's worker dead and closed
                // it. The result is kept for diagnosis only; the trial is not touched.
                try db.run(
                    sql: """
                        INSERT INTO lateResult (attempt, session, at, outcome, score, message) VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [id, attempt.session, now, end.outcome, finite(end.score), journalText(end.message)])
                return AttemptCommit(streak: try currentStreak(db), endSeq: nil, stop: nil, fenced: true)
            }
            if !end.epochs.isEmpty {
                let insert = try db.cachedStatement(
                    sql: "INSERT INTO epochMetric (attempt, epoch, name, value) VALUES (?, ?, ?, ?)")
                for (epoch, metrics) in end.epochs.enumerated() {
                    for (name, value) in metrics {
                        let stored: Double? = finite(value)
                        try insert.execute(arguments: [id, epoch, name, stored])
                    }
                }
            }
            var ended: (streak: Int, endSeq: Int?)
            switch end.trialStatus {
            case .completed:
                try db.run(
                    sql: """
                        UPDATE trial SET status = ?, score = ?, bestEpoch = ?, metrics = ?, errorType = NULL,
                            message = NULL WHERE number = ?
                        """,
                    arguments: [
                        TrialStatus.completed, end.score, end.bestEpoch, encodeMetrics(end.metrics), attempt.trial,
                    ])
                ended = try endTrial(db, number: attempt.trial, failed: false, at: now)
            case .failed:
                try db.run(
                    sql: "UPDATE trial SET status = ?, errorType = ?, message = ? WHERE number = ?",
                    arguments: [
                        TrialStatus.failed, journalText(end.errorType), journalText(end.message), attempt.trial,
                    ])
                ended = try endTrial(db, number: attempt.trial, failed: true, at: now)
            default:
                try db.run(
                    sql: "UPDATE trial SET status = ?, errorType = ?, message = ? WHERE number = ?",
                    arguments: [end.trialStatus, journalText(end.errorType), journalText(end.message), attempt.trial])
                ended = (try currentStreak(db), nil)
            }
            return try commit(db, ended, session: session, at: now, decide: decide)
        }
    }

    /// Marks a trial FAILED without running it again (a trial whose process died too often, S7),
    /// deciding the stop in the same transaction as ``finishAttempt(_:_:session:decide:)``.
    @discardableResult
    package func failTrial(
        _ number: Int, errorType: String, message: String, session: Int64? = nil,
        decide: (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop? = { _, _ in nil }
    )
        throws -> AttemptCommit
    {
        try write { db in
            try failTrial(db, number, errorType: errorType, message: message, session: session, decide: decide)
        }
    }

    func failTrial(
        _ db: Database, _ number: Int, errorType: String, message: String, session: Int64?,
        decide: (Int, () throws -> [Int]) throws -> SessionStop?
    ) throws -> AttemptCommit {
        try db.run(
            sql: "UPDATE trial SET status = ?, errorType = ?, message = ? WHERE number = ?",
            arguments: [TrialStatus.failed, errorType, message, number])
        let now = Self.now
        let ended = try endTrial(db, number: number, failed: true, at: now)
        return try commit(db, ended, session: session, at: now, decide: decide)
    }

    private func commit(
        _ db: Database, _ ended: (streak: Int, endSeq: Int?), session: Int64?, at now: Double,
        decide: (Int, () throws -> [Int]) throws -> SessionStop?
    ) throws -> AttemptCommit {
        let streak = ended.streak
        let failedRun = { () throws -> [Int] in
            Array(
                try Int.fetchAll(
                    db, sql: "SELECT number FROM trial WHERE endSeq IS NOT NULL ORDER BY endSeq DESC LIMIT ?",
                    arguments: [streak]
                ).reversed())
        }
        // A worker whose attempt ends after another worker's stop journals it, but never
        // triggers a second stop (section 9).
        guard try !stopSeen(db), let stop = try decide(streak, failedRun) else {
            return AttemptCommit(streak: streak, endSeq: ended.endSeq, stop: nil)
        }
        if let session {
            try db.run(
                sql: "UPDATE session SET endedAt = ?, stopReason = ?, message = ? WHERE id = ?",
                arguments: [now, stop.reason, journalText(stop.message), session])
            try db.run(
                sql: "UPDATE study SET stopCount = stopCount + 1, stopSession = ?, stoppedAt = ? WHERE id = 1",
                arguments: [session, now])
        }
        return AttemptCommit(streak: streak, endSeq: ended.endSeq, stop: stop)
    }

    private func currentStreak(_ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT streak FROM study WHERE id = 1")) ?? 0
    }

    /// Ends a trial: the next place in end order and the streak, both assigned here (S15, S18).
    private func endTrial(_ db: Database, number: Int, failed: Bool, at now: Double) throws -> (
        streak: Int, endSeq: Int?
    ) {
        try db.run(
            sql: """
                UPDATE study SET endCount = endCount + 1, streak = CASE WHEN ? THEN streak + 1 ELSE 0 END WHERE id = 1
                """, arguments: [failed])
        guard
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT endCount, streak FROM study WHERE id = 1"))
        else {
            throw JournalError(.corrupted, path: path, "the study row is missing")
        }
        let endSeq: Int = row[0]
        try db.run(sql: "UPDATE trial SET endedAt = ?, endSeq = ? WHERE number = ?", arguments: [now, endSeq, number])
        return (row[1], endSeq)
    }

    /// Journals hyperparameters a trial defined while it ran (section 7): the study's space
    /// grows, the change is kept as an amendment, and the trial's values gain what the attempt
    /// used — one transaction.
    package func extendSpace(_ space: SearchSpace, trial number: Int, values: [String: HyperParameterValue]) throws {
        let json = try Self.encodeSpace(space)
        try write { db in
            let previous = try String.fetchOne(db, sql: "SELECT space FROM study WHERE id = 1")
            try db.run(sql: "UPDATE study SET space = ? WHERE id = 1", arguments: [json])
            try db.run(
                sql: "INSERT INTO amendment (at, what, previous, current) VALUES (?, 'space', ?, ?)",
                arguments: [Self.now, previous, json])
            try db.run(
                sql: "UPDATE trial SET hyperparameters = ? WHERE number = ?", arguments: [encodeValues(values), number])
        }
    }

    /// Ends a session with its stop reason (S21).
    package func endSession(_ id: Int64, reason: StopReason, message: String?) throws {
        try write { db in
            try db.run(
                sql: "UPDATE session SET endedAt = ?, stopReason = ?, message = ? WHERE id = ?",
                arguments: [Self.now, reason, journalText(message), id])
        }
    }

    /// Ends a session that the search itself could not continue (S28, a failed write; an I/O
    /// error outside the trial): its open attempt becomes `interrupted` without counting as a
    /// death, its RUNNING trial STOPPED (re-run first on resume), the session ends `error`.
    /// When this write fails too, the next open closes them.
    package func abandon(session id: Int64, message: String) throws {
        try write { db in
            let now = Self.now
            try closeOpenAttempts(db, session: id, graceful: true, message: message, at: now)
            try db.run(
                sql: "UPDATE session SET endedAt = ?, stopReason = ?, message = ? WHERE id = ?",
                arguments: [now, StopReason.error, journalText(message), id])
        }
    }

    /// Journals a graceful stop (SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT) of a session, in
    /// one transaction: its running attempt becomes `interrupted`, its RUNNING trial STOPPED,
    /// the session ends `interrupted`; every later write is refused with
    /// ``SearchInterruptedError`` (S6a). The refusal is set inside the transaction, so no
    /// write of the search thread can land after it.
    package func interrupt(session id: Int64, signal: Int32, signalName: String) throws {
        let stop = SearchInterruptedError(signal: signal, signalName: signalName, session: id)
        try write { db in
            // Set first: should this transaction fail, writes stay refused and the next open
            // closes the session as found dead.
            stopping.withLock { $0 = stop }
            let now = Self.now
            try closeOpenAttempts(db, session: id, graceful: true, message: "stopped by \(signalName)", at: now)
            try db.run(
                sql: "UPDATE session SET endedAt = ?, stopReason = ?, message = ? WHERE id = ?",
                arguments: [now, StopReason.interrupted, "stopped by \(signalName)", id])
        }
    }

    func closeOpenAttempts(_ db: Database, session id: Int64, graceful: Bool, message: String, at now: Double) throws {
        let trials = try Int.fetchAll(
            db, sql: "SELECT trial FROM attempt WHERE session = ? AND outcome IS NULL", arguments: [id])
        try db.run(
            sql: """
                UPDATE attempt SET outcome = ?, counted = 0, graceful = ?, errorType = ?,
                    message = ?, endedAt = ?, duration = MAX(0, ? - startedAt)
                WHERE session = ? AND outcome IS NULL
                """,
            arguments: [
                AttemptOutcome.interrupted, graceful, Self.interruptedErrorType, journalText(message), now, now, id,
            ])
        for trial in trials {
            try db.run(
                sql: "UPDATE trial SET status = ?, errorType = ?, message = ? WHERE number = ? AND status = ?",
                arguments: [
                    TrialStatus.stopped, Self.interruptedErrorType, journalText(message), trial, TrialStatus.running,
                ])
        }
    }

    /// Puts the journal back in WAL mode for a new session of the same writer (a session's end
    /// left it one file, in rollback mode): readers never block the writer again.
    package func resumeLogging() throws {
        do {
            try dbQueue.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        } catch let error as DatabaseError {
            throw JournalError(
                .writeFailed, path: path,
                "cannot return the journal to WAL mode: \(error.message ?? "\(error.resultCode)")")
        }
    }

    /// Makes the journal one self-contained file after a session ended (S26b): the write-ahead
    /// log is checkpointed into the database and the file leaves WAL mode, so `-wal` and `-shm`
    /// are removed. The next writer's open returns to WAL. Best effort: while a reader holds the
    /// file open, the log is only truncated.
    package func consolidate() {
        if membership != nil {
            consolidateIfAlone()
        } else {
            consolidateNow()
        }
    }

    func consolidateNow() {
        dbQueue.writeWithoutTransaction { db in
            _ = try? Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            _ = try? String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
        }
    }
}

/// Text as the journal stores it: SQLite's text values end at a NUL, so a NUL character is
/// written as the visible escape `\u{0}` rather than cutting the rest of a message or trace.
func journalText(_ text: String?) -> String? {
    guard let text, text.utf8.contains(0) else { return text }
    return text.replacingOccurrences(of: "\u{0}", with: "\\u{0}")
}

private func finite(_ value: Double?) -> Double? {
    guard let value, value.isFinite else { return nil }
    return value
}

extension Database {
    /// Executes one statement through the connection's statement cache: the same few
    /// statements run for every trial.
    func run(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
