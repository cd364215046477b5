import Foundation
import GRDB
import Synchronization
import TunerCore

/// The persistent, resumable store of one study: every trial, attempt, error trace and
/// session, journaled to SQLite one transaction per state change (S22).
///
/// A journal opened with ``open(at:study:options:)`` is checked first (S25), locked for
/// its one writer (S26), and migrated forward if it is older. Reports open it with
/// ``openForReading(at:)``, which never writes.
///
/// ```swift
/// let journal = try StudyJournal.open(at: "untitled_project/journal.sqlite", study: descriptor)
/// let session = try journal.startSession(limits: "{}", pid: 42, host: "box")
/// ```
public final class StudyJournal: Sendable {
    /// The journal file's path.
    public let path: String
    /// The database connection.
    let dbQueue: DatabaseQueue
    /// The writer's lock; `nil` for a read-only journal.
    let lock: StudyLock?
    /// Set, inside the transaction that journals it, when the search is stopping on a signal:
    /// every later write is refused with ``SearchInterruptedError``.
    let stopping = Mutex<SearchInterruptedError?>(nil)
    /// For a worker: its id, the lock that says it is alive, and the gate its writes take turns at.
    let membership: WorkerMembership?

    /// The schema version this build writes.
    public static let schemaVersion = 4
    /// The SQLite `application_id` that marks a file as a study journal ("STuR").
    public static let applicationID: Int32 = 0x5354_7552

    init(path: String, dbQueue: DatabaseQueue, lock: StudyLock?, membership: WorkerMembership? = nil) {
        self.path = path
        self.dbQueue = dbQueue
        self.lock = lock
        self.membership = membership
    }

    /// The graceful stop journaled by ``interrupt(session:signal:)``, if any.
    public var interruption: SearchInterruptedError? { stopping.withLock { $0 } }

    /// Runs one write transaction, mapping SQLite failures to ``JournalError/Kind/writeFailed``.
    ///
    /// - Throws: ``SearchInterruptedError`` once a graceful stop is journaled: the check runs
    ///   inside the transaction, so no write can follow the one that ended the session.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            // BEGIN and COMMIT through cached statements: every trial runs two transactions, and
            // GRDB's `write` parses both statements anew each time.
            func transaction() throws -> T {
                try dbQueue.writeWithoutTransaction { db in
                    if let stop = stopping.withLock({ $0 }) { throw stop }
                    try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
                    do {
                        let result = try body(db)
                        try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
                        return result
                    } catch {
                        if db.isInsideTransaction { try? db.rollback() }
                        throw error
                    }
                }
            }
            guard let gate = membership?.gate else { return try transaction() }
            return try gate.withGate(transaction)
        } catch let error as DatabaseError {
            throw JournalError(
                .writeFailed, path: path,
                "a journal write failed: \(error.message ?? "\(error.resultCode)") (SQLite " +
                    "\(error.resultCode.rawValue)). The journal is valid up to the last committed state; free the " +
                    "space or fix the permissions, then resume."
            )
        }
    }

    /// Runs one read; inside ``snapshot(_:)``, in the snapshot's transaction.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        if let current = Self.currentRead, current.queue === dbQueue { return try body(current.db) }
        do {
            return try dbQueue.read(body)
        } catch {
            throw readFailure(error)
        }
    }

    /// A number that changes whenever another connection commits to the journal (SQLite's
    /// `PRAGMA data_version` on this journal's connection): what a live view waits on before it
    /// reads the journal again.
    public func dataVersion() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
    }

    /// Runs `body` in one read transaction: every read of this journal inside it sees the same
    /// state, whatever a writer commits meanwhile (S26a).
    ///
    /// ```swift
    /// let (trials, attempts) = try journal.snapshot { (try journal.trials(), try journal.attempts()) }
    /// ```
    public func snapshot<T>(_ body: () throws -> T) throws -> T {
        if let current = Self.currentRead, current.queue === dbQueue { return try body() }
        do {
            return try dbQueue.read { db in
                try Self.$currentRead.withValue(OpenRead(queue: dbQueue, db: db)) { try body() }
            }
        } catch {
            throw readFailure(error)
        }
    }

    /// A read's failure as the journal's error: SQLite's, or a stored value no SwiftTuner writes.
    private func readFailure(_ error: any Error) -> any Error {
        switch error {
        case let error as DatabaseError:
            JournalError(.corrupted, path: path, "cannot read the journal: \(error.message ?? "\(error.resultCode)")")
        case let error as UnknownJournalValueError:
            JournalError(.corrupted, path: path, error.description)
        case let error as RowDecodingError:
            JournalError(.corrupted, path: path, "the journal holds a value SwiftTuner does not write: \(error)")
        default:
            error
        }
    }

    /// The read transaction a ``snapshot(_:)`` holds open on this thread.
    struct OpenRead: @unchecked Sendable {
        let queue: DatabaseQueue
        let db: Database
    }

    @TaskLocal static var currentRead: OpenRead?

    // MARK: - Reads

    /// The study row.
    public func study() throws -> StudyRecord {
        try read { db in
            guard let study = try StudyRecord.fetchOne(db, key: 1) else {
                throw JournalError(.corrupted, path: path, "the journal has no study row")
            }
            return study
        }
    }

    /// Every session, oldest first.
    public func sessions() throws -> [SessionRecord] {
        try read { db in try SessionRecord.order(Column("id")).fetchAll(db) }
    }

    /// Every trial, by number.
    public func trials() throws -> [TrialRecord] { try trials(metrics: true) }

    /// Every trial, by number; with `metrics` false, without their metrics (`nil`), which a
    /// report that does not show them need not hold for every trial.
    public func trials(metrics: Bool) throws -> [TrialRecord] {
        try read { db in
            // Room for every trial at once: an array grown by doubling holds up to twice what it needs.
            var trials: [TrialRecord] = []
            trials.reserveCapacity(try TrialRecord.fetchCount(db))
            let request = TrialRecord.order(Column("number")).select(TrialRecord.selection(metrics: metrics))
            let cursor = try request.fetchCursor(db)
            while let trial = try cursor.next() { trials.append(trial) }
            return trials
        }
    }

    /// One trial.
    public func trial(_ number: Int) throws -> TrialRecord? {
        try read { db in try TrialRecord.fetchOne(db, key: number) }
    }

    /// Every attempt, by trial then attempt number.
    public func attempts() throws -> [AttemptRecord] {
        try read { db in try AttemptRecord.order(Column("trial"), Column("number")).fetchAll(db) }
    }

    /// Every attempt, grouped by trial, each trial's in order: read row by row into the groups,
    /// without a list of them all beside it. Error types and messages that repeat share one
    /// copy.
    ///
    /// - Parameters:
    ///   - traces: whether to read the traces (without, each is `nil`; ``traces(ofAttempts:)``
    ///     reads those wanted).
    ///   - metrics: whether to read each attempt's metrics (without, each is `nil`).
    public func attemptsByTrial(traces: Bool = true, metrics: Bool = true) throws -> [Int: [AttemptRecord]] {
        try read { db in
            var groups: [Int: [AttemptRecord]] = [:]
            var request = AttemptRecord.order(Column("trial"), Column("number"))
            if !traces || !metrics {
                request = request.select(
                    AttemptRecord.databaseSelection.enumerated().map { index, column in
                        (index == 9 && !traces) || (index == 14 && !metrics) ? SQL("NULL") : column
                    })
            }
            var shared = TextPool()
            var group: [AttemptRecord] = []
            let cursor = try request.fetchCursor(db)
            // Each trial's attempts are stored as an exact copy of the group gathered: storing the
            // group itself would keep its grown capacity (a quarter more memory, for three attempts).
            while var attempt = try cursor.next() {
                if let last = group.last, last.trial != attempt.trial {
                    groups[last.trial] = group.withUnsafeBufferPointer { Array($0) }
                    group.removeAll(keepingCapacity: true)
                }
                attempt.errorType = shared.intern(attempt.errorType)
                attempt.message = shared.intern(attempt.message)
                group.append(attempt)
            }
            if let last = group.last { groups[last.trial] = group.withUnsafeBufferPointer { Array($0) } }
            return groups
        }
    }

    /// The last `limit` attempts started, newest first, without traces or metrics, and how many
    /// trials the study has: what a live view shows of a change before it reads the rest.
    public func latest(limit: Int) throws -> (attempts: [AttemptRecord], trials: Int) {
        try snapshot {
            try read { db in
                let attempts = try AttemptRecord.order(Column("id").desc).limit(max(0, limit))
                    .select(
                        AttemptRecord.databaseSelection.enumerated().map { index, column in
                            index == 9 || index == 14 ? SQL("NULL") : column
                        }
                    ).fetchAll(db)
                return (attempts, try Int.fetchOne(db, sql: "SELECT count(*) FROM trial") ?? 0)
            }
        }
    }

    /// The traces of the attempts with these ids, by id (attempts without one are left out).
    public func traces(ofAttempts ids: [Int64]) throws -> [Int64: String] {
        try read { db in
            var traces: [Int64: String] = [:]
            let statement = try db.cachedStatement(sql: "SELECT trace FROM attempt WHERE id = ?")
            for id in ids {
                if let trace = try String.fetchOne(statement, arguments: [id]) { traces[id] = trace }
            }
            return traces
        }
    }

    /// The attempts of one trial, in order.
    public func attempts(ofTrial number: Int) throws -> [AttemptRecord] {
        try read { db in
            try AttemptRecord.filter(Column("trial") == number).order(Column("number")).fetchAll(db)
        }
    }

    /// The per-epoch metrics of one attempt, by epoch then name.
    public func epochMetrics(ofAttempt id: Int64) throws -> [EpochMetricRecord] {
        try read { db in
            try EpochMetricRecord.filter(Column("attempt") == id).order(Column("epoch"), Column("name")).fetchAll(db)
        }
    }

    /// The streak derived from the trials: trailing FAILED trials in end order (S15).
    public func derivedStreak() throws -> Int {
        try read { db in try Self.deriveStreak(db) }
    }

    static func deriveStreak(_ db: Database) throws -> Int {
        let statuses = try String.fetchAll(
            db,
            sql: """
                SELECT status FROM trial WHERE endSeq IS NOT NULL ORDER BY endSeq DESC
                """)
        return statuses.prefix { $0 == TrialStatus.failed.rawValue }.count
    }

    /// The number of times each trial's process was found dead while it ran (S7).
    public func deathCounts() throws -> [Int: Int] {
        try attemptCounts().deaths
    }

    /// Per trial: its counted attempts, and the times its process was found dead (S7, S8).
    public func attemptCounts() throws -> (counted: [Int: Int], deaths: [Int: Int]) {
        try read { db in
            var counted: [Int: Int] = [:]
            var deaths: [Int: Int] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT trial, SUM(counted), SUM(outcome = ? AND graceful = 0) FROM attempt GROUP BY trial
                    """, arguments: [AttemptOutcome.interrupted])
            while let row = try rows.next() {
                let trial: Int = row[0]
                let c: Int = row[1] ?? 0
                let d: Int = row[2] ?? 0
                if c > 0 { counted[trial] = c }
                if d > 0 { deaths[trial] = d }
            }
            return (counted, deaths)
        }
    }
}

extension StudyJournal {
    /// The connection's `journal_mode` and `synchronous` settings (2 is FULL, 1 NORMAL).
    public func connectionPragmas() throws -> (journalMode: String, synchronous: Int) {
        try dbQueue.read { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
            )
        }
    }
}

extension StudyJournal {
    /// The journal's schema version (`PRAGMA user_version`).
    public func schemaVersion() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
    }
}

/// A metric's best and last values over an attempt's epochs.
public struct MetricSummary: Sendable, Equatable {
    /// The best value, by the metric's own direction (S11a's names; others are minimized).
    public var best: Double?
    /// The value of the last epoch that reported it.
    public var last: Double?
}

extension StudyJournal {
    /// Every metric of every attempt, summarized: attempt id → metric name → best and last
    /// value (non-finite values are skipped for `best`; `nil` where none was finite).
    public func metricSummaries(objective: Objective) throws -> [Int64: [String: MetricSummary]] {
        try read { db in
            var result: [Int64: [String: MetricSummary]] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT attempt, name, value FROM epochMetric ORDER BY attempt, epoch")
            while let row = try rows.next() {
                let attempt: Int64 = row[0]
                let name: String = row[1]
                let value: Double? = row[2]
                let direction = name == objective.name ? objective.direction : Objective.inferDirection(name) ?? .min
                var summary = result[attempt]?[name] ?? MetricSummary(best: nil, last: nil)
                summary.last = value
                if let value, value.isFinite, summary.best.map({ direction == .min ? value < $0 : value > $0 }) ?? true
                {
                    summary.best = value
                }
                result[attempt, default: [:]][name] = summary
            }
            return result
        }
    }

    /// The names of every metric any attempt reported per epoch, in code-point order.
    public func metricNames() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT DISTINCT name FROM epochMetric ORDER BY name") }
    }

    /// One metric's per-epoch values for every attempt that reported it: attempt id → values
    /// by epoch (NaN where the stored value was not finite).
    public func learningCurves(metric: String) throws -> [Int64: [Double]] {
        try read { db in
            var curves: [Int64: [Double]] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT attempt, epoch, value FROM epochMetric WHERE name = ? ORDER BY attempt, epoch",
                arguments: [metric])
            while let row = try rows.next() {
                let attempt: Int64 = row[0]
                let epoch: Int = row[1]
                let value: Double? = row[2]
                // In place: a copy per epoch would make a long curve quadratic. A missing epoch is
                // NaN; a damaged row's epoch far out of range does not ask for its gap.
                let gap = min(epoch, 10_000_000) - (curves[attempt]?.count ?? 0)
                curves[attempt, default: []].append(contentsOf: repeatElement(Double.nan, count: max(0, gap)))
                curves[attempt, default: []].append(value ?? .nan)
            }
            return curves
        }
    }
}

extension StudyJournal: StudyStore {
    /// The journal file's path.
    package var location: String { path }
}

/// Strings read from many rows, kept once each while the pool is small: error types and
/// messages repeat across a study's attempts.
struct TextPool {
    private var pool: [String: String] = [:]

    /// The pooled copy of `text`.
    mutating func intern(_ text: String?) -> String? {
        guard let text else { return nil }
        if let shared = pool[text] { return shared }
        if pool.count < 4096 { pool[text] = text }
        return text
    }
}
