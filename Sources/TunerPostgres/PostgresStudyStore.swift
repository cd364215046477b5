import Foundation
import PostgresNIO
import Synchronization
import TunerCore
import TunerStore

/// A study kept in PostgreSQL, shared by workers on many hosts (section 9 of the contract).
///
/// The database is the coordinator: every state change is one transaction that first locks
/// the study's row, so trial ends are ordered and the streak decided exactly as in the SQLite
/// journal. Each worker's session holds a lease on the database clock, renewed by a thread of
/// the store; a claim (and the renewing thread, each lease period) closes the sessions whose
/// lease ran out, and their running attempts become `interrupted` (S7). A write of an attempt
/// that was closed so is refused and kept as a late result (fencing).
///
/// ```swift
/// let store = try PostgresStudyStore.open(url: "postgresql://tuner@db/studies", study: descriptor,
///                                         options: JournalOptions(worker: "gpu-3"))
/// ```
public final class PostgresStudyStore: StudyStore, Sendable {
    /// The server and database.
    public let url: PostgresURL
    /// The study's name (its key in the store).
    public let studyName: String
    /// The study's row id.
    let studyID: Int64
    /// The connection of the engine's thread.
    let link: PostgresLink
    /// The worker this store was opened as; `nil` when opened for reading.
    package let workerID: String?
    /// How long a session's lease lasts without renewal, in seconds.
    public let leaseSeconds: Double
    let stopping = Mutex<SearchInterruptedError?>(nil)
    /// The study's stop count when this worker's session started (section 9).
    let stopBase = Mutex<Int>(0)
    /// When this worker last looked for expired leases, in seconds of the server's clock.
    let lastReap = Mutex<Double>(0)
    /// How many trials other workers created during this worker's last cycle (at most 32): how
    /// far ahead it proposes next time, where proposals allow it.
    let lookaheadGap = Mutex<Int>(0)
    /// The session whose lease the keeper renews.
    let leasedSession = Mutex<Int64?>(nil)
    /// Why the lease was lost, once it was.
    let leaseLoss = Mutex<String?>(nil)
    /// Called once when the lease is lost (the session was closed by another worker, or the
    /// server could not be reached before the lease ended): the running trial must stop.
    let onLeaseLost = Mutex<(@Sendable (String) -> Void)?>(nil)
    let keeper = Mutex<LeaseKeeper?>(nil)

    /// The error type of an attempt or trial an interruption ended.
    static let interruptedErrorType = ClaimPlan.interruptedErrorType

    package var location: String { "\(url.redacted) (study \"\(studyName)\")" }
    package var interruption: SearchInterruptedError? { stopping.withLock { $0 } }

    init(
        url: PostgresURL, studyName: String, studyID: Int64, link: PostgresLink, workerID: String?, leaseSeconds: Double
    ) {
        self.url = url
        self.studyName = studyName
        self.studyID = studyID
        self.link = link
        self.workerID = workerID
        self.leaseSeconds = leaseSeconds
    }

    deinit {
        keeper.withLock { $0 }?.stop()
        link.close()
    }

    /// Opens (or creates) a study in a PostgreSQL database as one of its workers.
    ///
    /// The tables are created when the database has none. A study of that name is created
    /// from `descriptor`, or checked against it as a journal is (S25): another tuner kind,
    /// objective, space or trial definition is refused unless `options` accepts the change.
    ///
    /// - Parameters:
    ///   - url: the `postgresql://` URL.
    ///   - options: the worker id (`host-pid` when `nil`), the lease, overwrite and the
    ///     accepted changes.
    /// - Throws: ``PostgresURLError`` for a bad URL; `JournalError` when the server cannot be
    ///   reached or the study is another one.
    public static func open(
        url text: String, study descriptor: StudyDescriptor,
        options: JournalOptions = JournalOptions()
    ) throws -> PostgresStudyStore {
        let url = try PostgresURL(text)
        let worker = options.worker ?? "\(hostName())-\(getpid())"
        guard !worker.isEmpty, worker.utf8.count <= 200 else {
            throw JournalError(
                .locked, path: url.redacted, "a worker id must be 1 to 200 bytes long, got \(worker.utf8.count)")
        }
        guard options.leaseSeconds >= 1, options.leaseSeconds <= 86_400 else {
            throw JournalError(
                .writeFailed, path: url.redacted, "the lease must be 1 to 86400 seconds, got \(options.leaseSeconds)")
        }
        let link = PostgresLink(
            url: url, applicationName: "swifttuner \(worker)".prefix(63).description, reconnectFor: 30,
            statementTimeout: max(5, options.leaseSeconds), idleTimeout: max(5, options.leaseSeconds))
        try createSchema(link)
        let spaceJSON = try encodeSpace(descriptor.space)
        let id: Int64 = try link.transaction { sql in
            try sql.execute(
                "SELECT pg_advisory_xact_lock(\(PostgresSchema.lockKey), hashtext($1))", [.text(descriptor.name)])
            if let row = try sql.rows(
                "SELECT id, \(PostgresSchema.studyColumns) FROM swifttuner.study WHERE name = $1",
                [.text(descriptor.name)]
            ).first {
                let id: Int64 = try row.value(0)
                if options.overwrite {
                    let live = try sql.rows(
                        """
                        SELECT worker FROM swifttuner.session WHERE study = $1 AND ended_at IS NULL AND lease_until > \
                        clock_timestamp()
                        """, [.int64(id)]
                    ).map { try $0.value(0, String.self) }
                    guard live.isEmpty else {
                        throw JournalError(
                            .locked, path: url.redacted,
                            "cannot overwrite the study \"\(descriptor.name)\": \(live.count) worker(s) hold it " +
                                "(\(live.prefix(5).joined(separator: ", "))). Stop them first."
                        )
                    }
                    try sql.execute("DELETE FROM swifttuner.study WHERE id = $1", [.int64(id)])
                } else {
                    let study = try decodeStudy(row, from: 1)
                    try descriptor.check(study, path: url.redacted, options: options)
                    let extended = (try? study.searchSpace())?.extends(descriptor.space) ?? false
                    if study.space != spaceJSON && !extended {
                        try sql.execute(
                            "UPDATE swifttuner.study SET space = $2 WHERE id = $1", [.int64(id), .text(spaceJSON)])
                        try sql.execute(
                            """
                            INSERT INTO swifttuner.amendment (study, at, what, previous, current)
                            VALUES ($1, extract(epoch FROM clock_timestamp()), 'space', $2, $3)
                            """, [.int64(id), .text(study.space), .text(spaceJSON)])
                    }
                    if let current = descriptor.trialDefinition, study.trialDefinition != current {
                        try sql.execute(
                            "UPDATE swifttuner.study SET trial_definition = $2 WHERE id = $1",
                            [.int64(id), .text(current)])
                        if let previous = study.trialDefinition {
                            try sql.execute(
                                """
                                INSERT INTO swifttuner.amendment (study, at, what, previous, current)
                                VALUES ($1, extract(epoch FROM clock_timestamp()), 'trial', $2, $3)
                                """, [.int64(id), .text(previous), .text(current)])
                        }
                    }
                    return id
                }
            }
            let rows = try sql.rows(
                """
                INSERT INTO swifttuner.study (name, directory, tuner_kind, objective_name, direction, seed, space, \
                created_at,
                    trial_definition)
                VALUES ($1, $2, $3, $4, $5, $6, $7, extract(epoch FROM clock_timestamp()), $8) RETURNING id
                """,
                [
                    .text(descriptor.name), .text(descriptor.directory), .text(descriptor.tunerKind.rawValue),
                    .text(descriptor.objective.name), .text(descriptor.objective.direction.rawValue),
                    .int64(Int64(bitPattern: descriptor.seed)), .text(spaceJSON), .text(descriptor.trialDefinition),
                ])
            guard let row = rows.first else {
                throw JournalError(.writeFailed, path: url.redacted, "the server did not return the new study's id")
            }
            return try row.value(0)
        }
        return PostgresStudyStore(
            url: url, studyName: descriptor.name, studyID: id, link: link, workerID: worker,
            leaseSeconds: options.leaseSeconds)
    }

    /// Opens a study for reading only: reports, status and export. Nothing is written.
    ///
    /// - Throws: `JournalError` (`.missing`) when the database has no study of that name.
    public static func openForReading(url text: String, study name: String) throws -> PostgresStudyStore {
        let url = try PostgresURL(text)
        let link = PostgresLink(url: url, applicationName: "swifttuner reader", reconnectFor: 5)
        let id: Int64? = try link.run { sql in
            guard try sql.rows("SELECT to_regclass('swifttuner.study') IS NOT NULL").first?.value(0, Bool.self) == true
            else {
                return nil
            }
            return try sql.rows("SELECT id FROM swifttuner.study WHERE name = $1", [.text(name)]).first?.value(0)
        }
        guard let id else {
            let known = (try? studies(link: link)) ?? []
            let hint =
                known.isEmpty
                ? "the database holds no study" : "its studies: \(known.prefix(10).joined(separator: ", "))"
            throw JournalError(.missing, path: url.redacted, "no study named \"\(name)\" in this database (\(hint))")
        }
        return PostgresStudyStore(url: url, studyName: name, studyID: id, link: link, workerID: nil, leaseSeconds: 30)
    }

    /// The names of the studies a database holds, sorted.
    public static func studies(url text: String) throws -> [String] {
        let url = try PostgresURL(text)
        let link = PostgresLink(url: url, applicationName: "swifttuner reader", reconnectFor: 5)
        defer { link.close() }
        return try studies(link: link)
    }

    static func studies(link: PostgresLink) throws -> [String] {
        try link.run { sql in
            guard try sql.rows("SELECT to_regclass('swifttuner.study') IS NOT NULL").first?.value(0, Bool.self) == true
            else {
                return []
            }
            return try sql.rows("SELECT name FROM swifttuner.study ORDER BY name").map { try $0.value(0, String.self) }
        }
    }

    static func createSchema(_ link: PostgresLink) throws {
        try link.transaction { sql in
            try sql.execute("SELECT pg_advisory_xact_lock(\(PostgresSchema.lockKey))")
            let exists =
                try sql.rows("SELECT to_regclass('swifttuner.meta') IS NOT NULL").first?.value(0, Bool.self) ?? false
            let version =
                exists
                ? try sql.rows("SELECT value FROM swifttuner.meta WHERE key = 'schema_version'").first?.optional(
                    0, String.self)
                : nil
            if let version, let number = Int(version), number > PostgresSchema.version {
                throw JournalError(
                    .newerSchema, path: link.url.redacted,
                    "the store's tables have schema version \(number); this version of SwiftTuner knows " +
                        "\(PostgresSchema.version) at most. Upgrade SwiftTuner to use this database."
                )
            }
            func run(_ script: String) throws {
                for statement in PostgresSchema.statements(script) { try sql.execute(statement) }
            }
            guard let version else { return try run(PostgresSchema.create) }
            guard var number = Int(version) else {
                throw JournalError(
                    .corrupted, path: link.url.redacted, "the store's schema version is \"\(version)\", not a number")
            }
            while number < PostgresSchema.version, let upgrade = PostgresSchema.upgrades[number] {
                try run(upgrade)
                number += 1
            }
        }
    }

    static func encodeSpace(_ space: SearchSpace) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(space), as: UTF8.self)
    }

    // MARK: Reads

    package func study() throws -> StudyRecord {
        try link.run { sql in
            guard
                let row = try sql.rows(
                    "SELECT \(PostgresSchema.studyColumns) FROM swifttuner.study WHERE id = $1",
                    [.int64(studyID)]
                ).first
            else {
                throw JournalError(
                    .missing, path: url.redacted, "the study \"\(studyName)\" was deleted from the database")
            }
            return try Self.decodeStudy(row, from: 0)
        }
    }

    package func trials() throws -> [TrialRecord] {
        try link.run { sql in
            try sql.rows(
                "SELECT \(PostgresSchema.trialColumns) FROM swifttuner.trial WHERE study = $1 ORDER BY number",
                [.int64(studyID)]
            ).map(Self.decodeTrial)
        }
    }

    package func sessions() throws -> [SessionRecord] {
        try link.run { sql in
            try sql.rows(
                "SELECT \(PostgresSchema.sessionColumns) FROM swifttuner.session WHERE study = $1 ORDER BY id",
                [.int64(studyID)]
            ).map(Self.decodeSession)
        }
    }

    /// Every attempt, by trial and number.
    public func attempts() throws -> [AttemptRecord] {
        try link.run { sql in
            try sql.rows(
                "SELECT \(PostgresSchema.attemptColumns) FROM swifttuner.attempt WHERE study = $1 ORDER BY trial, " +
                    "number",
                [.int64(studyID)]
            ).map(Self.decodeAttempt)
        }
    }

    package func attemptCounts() throws -> (counted: [Int: Int], deaths: [Int: Int]) {
        try link.run { sql in
            var counted: [Int: Int] = [:]
            var deaths: [Int: Int] = [:]
            for row in try sql.rows(
                """
                SELECT trial, SUM(CASE WHEN counted THEN 1 ELSE 0 END),
                    SUM(CASE WHEN outcome = 'interrupted' AND NOT graceful THEN 1 ELSE 0 END)
                FROM swifttuner.attempt WHERE study = $1 GROUP BY trial
                """, [.int64(studyID)])
            {
                let trial = Int(try row.value(0, Int64.self))
                let c = Int(try row.optional(1, Int64.self) ?? 0)
                let d = Int(try row.optional(2, Int64.self) ?? 0)
                if c > 0 { counted[trial] = c }
                if d > 0 { deaths[trial] = d }
            }
            return (counted, deaths)
        }
    }

    /// The ids of the workers whose sessions are open with a lease that has not run out, sorted.
    public func liveWorkers() throws -> [String] {
        try link.run { sql in
            try sql.rows(
                """
                SELECT DISTINCT worker FROM swifttuner.session
                WHERE study = $1 AND ended_at IS NULL AND lease_until > clock_timestamp() ORDER BY worker
                """, [.int64(studyID)]
            ).map { try $0.value(0, String.self) }
        }
    }

    /// The whole study, read in one repeatable-read transaction: what a journal copy of it holds.
    public func dump() throws -> StudyDump {
        try link.transaction { sql in
            try sql.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            let id = SQLValue.int64(studyID)
            guard
                let studyRow = try sql.rows(
                    """
                    SELECT \(PostgresSchema.studyColumns), stop_count, stop_session, stopped_at FROM swifttuner.study \
                    WHERE id = $1
                    """, [id]
                ).first
            else {
                throw JournalError(
                    .missing, path: url.redacted, "the study \"\(studyName)\" was deleted from the database")
            }
            var dump = StudyDump(study: try Self.decodeStudy(studyRow, from: 0))
            dump.stopCount = Int(try studyRow.value(11, Int32.self))
            dump.stopSession = try studyRow.optional(12, Int64.self)
            dump.stoppedAt = try studyRow.optional(13, Double.self)
            dump.sessions = try sql.rows(
                "SELECT \(PostgresSchema.sessionColumns) FROM swifttuner.session WHERE study = $1 ORDER BY id",
                [id]
            ).map(Self.decodeSession)
            let trialRows = try sql.rows(
                """
                SELECT \(PostgresSchema.trialColumns), basis FROM swifttuner.trial WHERE study = $1 ORDER BY number
                """, [id])
            dump.trials = try trialRows.map(Self.decodeTrial)
            for row in trialRows {
                if let basis = try row.optional(13, Int32.self) {
                    dump.proposalBases[Int(try row.value(0, Int32.self))] = Int(basis)
                }
            }
            dump.attempts = try sql.rows(
                """
                SELECT \(PostgresSchema.attemptColumns) FROM swifttuner.attempt WHERE study = $1 ORDER BY id
                """, [id]
            ).map(Self.decodeAttempt)
            dump.epochMetrics = try sql.rows(
                """
                SELECT m.attempt, m.epoch, m.name, m.value FROM swifttuner.epoch_metric m
                JOIN swifttuner.attempt a ON a.id = m.attempt WHERE a.study = $1 ORDER BY m.attempt, m.epoch, m.name
                """, [id]
            ).map {
                EpochMetricRecord(
                    attempt: try $0.value(0), epoch: Int(try $0.value(1, Int32.self)), name: try $0.value(2),
                    value: try $0.optional(3))
            }
            dump.amendments = try sql.rows(
                """
                SELECT at, what, previous, current FROM swifttuner.amendment WHERE study = $1 ORDER BY id
                """, [id]
            ).map {
                StudyDump.Amendment(
                    at: try $0.value(0), what: try $0.value(1), previous: try $0.optional(2), current: try $0.value(3))
            }
            dump.lateResults = try sql.rows(
                """
                SELECT attempt, session, at, outcome, score, message FROM swifttuner.late_result WHERE study = $1 \
                ORDER BY id
                """, [id]
            ).map {
                StudyDump.Late(
                    attempt: try $0.value(0), session: try $0.value(1), at: try $0.value(2),
                    outcome: try Self.known(try $0.value(3), column: "late_result.outcome"),
                    score: try $0.optional(4), message: try $0.optional(5))
            }
            return dump
        }
    }

    // MARK: Decoding

    static func known<T: RawRepresentable & CaseIterable>(_ raw: String, column: String) throws -> T
    where T.RawValue == String {
        guard let value = T(rawValue: raw) else {
            throw UnknownJournalValueError(column: column, value: raw, known: T.allCases.map(\.rawValue))
        }
        return value
    }

    static func decodeStudy(_ row: PostgresRandomAccessRow, from first: Int) throws -> StudyRecord {
        StudyRecord(
            name: try row.value(first), directory: try row.value(first + 1),
            tunerKind: TunerKind(rawValue: try row.value(first + 2)),
            objectiveName: try row.value(first + 3),
            direction: try known(try row.value(first + 4), column: "study.direction"),
            seed: try row.value(first + 5), space: try row.value(first + 6), createdAt: try row.value(first + 7),
            streak: Int(try row.value(first + 8, Int32.self)), endCount: Int(try row.value(first + 9, Int32.self)),
            trialDefinition: try row.optional(first + 10))
    }

    static func decodeTrial(_ row: PostgresRandomAccessRow) throws -> TrialRecord {
        TrialRecord(
            number: Int(try row.value(0, Int32.self)), status: try known(try row.value(1), column: "trial.status"),
            hyperparameters: try row.value(2), seed: try row.value(3), score: try row.optional(4),
            bestEpoch: try row.optional(5, Int32.self).map(Int.init), metrics: try row.optional(6),
            errorType: try row.optional(7), message: try row.optional(8), createdSession: try row.value(9),
            createdAt: try row.value(10), endedAt: try row.optional(11),
            endSeq: try row.optional(12, Int32.self).map(Int.init))
    }

    static func decodeAttempt(_ row: PostgresRandomAccessRow) throws -> AttemptRecord {
        AttemptRecord(
            id: try row.value(0), trial: Int(try row.value(1, Int32.self)), number: Int(try row.value(2, Int32.self)),
            session: try row.value(3),
            outcome: try row.optional(4, String.self).map { try known($0, column: "attempt.outcome") },
            counted: try row.value(5), graceful: try row.value(6), errorType: try row.optional(7),
            message: try row.optional(8), trace: try row.optional(9), startedAt: try row.value(10),
            endedAt: try row.optional(11), duration: try row.optional(12), score: try row.optional(13),
            metrics: try row.optional(14))
    }

    static func decodeSession(_ row: PostgresRandomAccessRow) throws -> SessionRecord {
        var session = SessionRecord(
            id: try row.value(0), pid: Int(try row.value(1, Int32.self)), host: try row.value(2),
            startedAt: try row.value(3), endedAt: try row.optional(4),
            stopReason: try row.optional(5, String.self).map { try known($0, column: "session.stop_reason") },
            message: try row.optional(6), limits: try row.value(7))
        session.worker = try row.value(8)
        return session
    }
}
