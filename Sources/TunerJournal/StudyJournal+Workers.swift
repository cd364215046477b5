import Foundation
import GRDB
import Synchronization
import TunerCore

/// A worker's part in a study searched by many processes on one host (section 9): its id, the
/// lock that says it is alive, and the gate its writes take turns at.
///
/// A worker's lock is a `flock` on `journal.sqlite.workers/ID.lock`: the kernel drops it when
/// the process dies, even by SIGKILL, so another worker finds the death exactly, and a worker
/// restarted under the same id takes it over.
final class WorkerMembership: Sendable {
    /// The worker id.
    let id: String
    /// The worker's own lock.
    let lock: StudyLock
    /// The gate every write of the study's workers takes turns at.
    let gate: WriteGate
    /// The folder of the workers' locks.
    let folder: String
    /// The study's stop count when this worker's session started: a larger count is a stop
    /// another worker journaled, which ends this session too.
    let stopBase = Mutex<Int>(0)
    /// When this worker last looked for dead workers, in seconds since 1970.
    let lastReap = Mutex<Double>(0)

    /// Takes the worker's lock.
    ///
    /// - Throws: ``JournalError`` when another live process runs under the same id.
    init(id: String, journalPath: String, gate: WriteGate) throws {
        let folder = journalPath + ".workers"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw JournalError(
                .writeFailed, path: journalPath,
                "cannot create the workers' folder \(folder): \(error.localizedDescription)")
        }
        let path = Self.lockPath(folder: folder, worker: id)
        guard let lock = try StudyLock(path: path) else {
            let owner = StudyLock.owner(path: path) ?? "another process"
            throw JournalError(
                .locked, path: journalPath,
                "the worker id \"\(id)\" is already running: \(owner). Give each worker its own id (--worker-id), or " +
                    "stop that one first."
            )
        }
        self.id = id
        self.lock = lock
        self.gate = gate
        self.folder = folder
    }

    /// A worker's lock file: its id, with every byte outside `A-Z a-z 0-9 . _ -` written as
    /// `%XX`, so that any id is one file name.
    static func lockPath(folder: String, worker: String) -> String {
        var name = ""
        for byte in worker.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                name.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: ".") where !name.isEmpty:
                name.append(".")
            default:
                name += String(format: "%%%02X", byte)
            }
        }
        return (folder as NSString).appendingPathComponent(name + ".lock")
    }

    /// The ids of the workers whose locks live processes hold, sorted.
    static func liveWorkers(journalPath: String) -> [String] {
        let folder = journalPath + ".workers"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.filter { $0.hasSuffix(".lock") }.filter {
            StudyLock.isHeld(path: (folder as NSString).appendingPathComponent($0)) == true
        }.map { name in
            let stem = String(name.dropLast(5))
            return stem.removingPercentEncoding ?? stem
        }.sorted()
    }

    /// Whether an open session's process is gone: a session of this worker id that is not the
    /// current one (its lock is held by this process now), a session without a worker (a
    /// search that had the study alone cannot be running while workers hold it), or a worker
    /// whose lock no process holds.
    func isDead(_ session: SessionRecord, current: Int64?) -> Bool {
        guard session.id != current else { return false }
        guard let worker = session.worker else { return true }
        if worker == id { return true }
        return StudyLock.isHeld(path: Self.lockPath(folder: folder, worker: worker)) == false
    }

    /// Sets the stop base when a session starts. A stop journaled while some session still open
    /// was running belongs to the workers now winding down, and ends this one at once; a stop
    /// older than every open session is a past one, which this worker resumes after (S19).
    func join(_ db: Database) throws {
        let row = try Row.fetchOne(db, sql: "SELECT stopCount, stoppedAt FROM study WHERE id = 1")
        let count: Int = row?[0] ?? 0
        let stoppedAt: Double? = row?[1]
        var base = count
        if let stoppedAt, count > 0,
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM session WHERE endedAt IS NULL AND startedAt <= ?)",
                arguments: [stoppedAt]) == true
        {
            base = count - 1
        }
        stopBase.withLock { $0 = base }
    }
}

extension StudyJournal {
    /// The worker id this journal was opened as; `nil` for a search that has the study alone.
    public var workerID: String? { membership?.id }

    /// Opens a study's journal as one of its workers (section 9), under the write gate so that
    /// workers starting together create or check the journal one at a time.
    static func openAsWorker(
        _ worker: String, path: String, study descriptor: StudyDescriptor,
        options: JournalOptions
    ) throws -> StudyJournal {
        guard !options.overwrite else {
            throw JournalError(
                .locked, path: path,
                "a worker cannot overwrite a study that other workers may be searching. Start it empty once (tuner " +
                    "search --overwrite, or delete the journal), then start the workers without overwrite."
            )
        }
        guard !worker.isEmpty, worker.utf8.count <= 200 else {
            throw JournalError(.locked, path: path, "a worker id must be 1 to 200 bytes long, got \(worker.utf8.count)")
        }
        let gate = try WriteGate(path: path + ".gate")
        return try gate.withGate {
            guard let lock = try StudyLock(path: path + ".lock", shared: true) else {
                throw JournalError(
                    .locked, path: path, lockedMessage(path: path) + " Workers join a study that no plain search holds."
                )
            }
            let membership = try WorkerMembership(id: worker, journalPath: path, gate: gate)
            return try openChecked(path: path, study: descriptor, options: options, lock: lock, membership: membership)
        }
    }

    /// Whether the stop count passed this worker's base: another worker journaled a stop.
    func stopSeen(_ db: Database) throws -> Bool {
        guard let membership else { return false }
        let count = try Int.fetchOne(db.cachedStatement(sql: "SELECT stopCount FROM study WHERE id = 1")) ?? 0
        return count > membership.stopBase.withLock { $0 }
    }

    /// Closes the sessions of dead workers, at most once a second unless `force`. Returns them.
    func reapDeadWorkers(_ db: Database, current: Int64, force: Bool) throws -> [Int64] {
        guard let membership else { return [] }
        let now = Self.now
        guard force || now - membership.lastReap.withLock({ $0 }) >= 1 else { return [] }
        membership.lastReap.withLock { $0 = now }
        let open = try SessionRecord.filter(Column("endedAt") == nil).fetchAll(db)
        var reaped: [Int64] = []
        for session in open where membership.isDead(session, current: current) {
            _ = try closeDeadSession(db, session)
            if let id = session.id { reaped.append(id) }
        }
        if !reaped.isEmpty { _ = try stopOrphanedTrials(db, message: "the worker died while running this trial") }
        return reaped
    }

    package func claim(
        _ request: ClaimRequest,
        propose: (_ number: Int, _ refreshed: [TrialRecord]) throws -> ProposedTrial?,
        failureRule: (_ message: String) -> (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    )
        throws -> Claim
    {
        try write { db in try claim(db, request, propose: propose, failureRule: failureRule) }
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
        try write { db in
            try ClaimPlan.finishAndClaim(
                finish: { try finishAttempt(db, attempt, end, session: session, decide: decide) },
                claim: { try claim(db, request, propose: propose, failureRule: failureRule) })
        }
    }

    func claim(
        _ db: Database, _ request: ClaimRequest,
        propose: (_ number: Int, _ refreshed: [TrialRecord]) throws -> ProposedTrial?,
        failureRule: (_ message: String) -> (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    )
        throws -> Claim
    {
        try ClaimPlan.claim(
            JournalClaimSteps(journal: self, db: db, request: request), request, propose: propose,
            failureRule: failureRule)
    }

    /// The trials from a number on, with the columns ``TrialRecord/init(row:)`` reads.
    static let trialsFromNumber = "SELECT \(trialColumns) FROM trial WHERE number >= ? ORDER BY number"
    /// The trials that ended after a place in end order, in no order: sorting them by number
    /// here would make SQLite scan every trial in number order instead of the end order's index.
    static let trialsAfterEnd = "SELECT \(trialColumns) FROM trial WHERE endSeq > ?"
    static let trialColumns =
        "number, status, hyperparameters, seed, score, bestEpoch, metrics, errorType, message, createdSession, " +
            "createdAt, endedAt, endSeq"

    /// Leaves the journal self-contained (S26b) when this worker is the last one using it.
    func consolidateIfAlone() {
        guard let membership, let lock else { return }
        membership.gate.withGate { _ = lock.ifAlone { consolidateNow() } }
    }
}

/// The last stop a session journaled for the whole study (section 9), as the study row counts it.
public struct JournaledStop: Sendable, Equatable {
    /// The stops journaled so far.
    public var count: Int
    /// The session that journaled the last one.
    public var session: Int64?
    /// When, in seconds since 1970.
    public var at: Double?
}

/// A result refused by fencing: the attempt had been closed as interrupted by another worker
/// that found its worker dead (section 9).
public struct LateResult: Sendable, Equatable {
    /// The attempt's id.
    public var attempt: Int64
    /// The session that reported it.
    public var session: Int64
    /// When it was reported, in seconds since 1970.
    public var at: Double
    /// The outcome it would have journaled.
    public var outcome: AttemptOutcome
    /// Its score, when finite.
    public var score: Double?
}

extension StudyJournal {
    /// The study's stops (none before schema version 4).
    public func stops() throws -> JournaledStop {
        try read { db in
            guard try db.columns(in: "study").contains(where: { $0.name == "stopCount" }),
                let row = try Row.fetchOne(db, sql: "SELECT stopCount, stopSession, stoppedAt FROM study WHERE id = 1")
            else {
                return JournaledStop(count: 0, session: nil, at: nil)
            }
            return JournaledStop(count: row[0], session: row[1], at: row[2])
        }
    }

    /// Each trial's proposal basis: how many trials had ended when it was proposed (section 9).
    /// Trials of journals older than schema version 4 have none.
    public func proposalBases() throws -> [Int: Int] {
        try read { db in
            guard try db.tableExists("proposal") else { return [:] }
            var bases: [Int: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT trial, basis FROM proposal") { bases[row[0]] = row[1] }
            return bases
        }
    }

    /// The results refused by fencing, oldest first.
    public func lateResults() throws -> [LateResult] {
        try read { db in
            guard try db.tableExists("lateResult") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT attempt, session, at, outcome, score FROM lateResult ORDER BY id")
                .map {
                    LateResult(
                        attempt: $0[0], session: $0[1], at: $0[2],
                        outcome: try $0.decodeKnown(atIndex: 3, column: "outcome"),
                        score: $0[4])
                }
        }
    }
}

extension StudyJournal {
    /// How many times the study's search space was replaced after the study began: a trial
    /// defined a hyperparameter, or a resume accepted a changed space (S25, section 7).
    public func spaceChanges() throws -> Int {
        try read { db in
            guard try db.tableExists("amendment") else { return 0 }
            return try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM amendment WHERE what = 'space' AND previous IS NOT NULL") ?? 0
        }
    }
}

extension StudyJournal {
    /// The ids of the workers running this study now, read from their locks without taking
    /// any (S26a), sorted.
    public func liveWorkers() -> [String] {
        WorkerMembership.liveWorkers(journalPath: path)
    }
}

/// The claim's steps on a SQLite journal, inside its write transaction.
struct JournalClaimSteps: ClaimSteps {
    let journal: StudyJournal
    let db: Database
    let request: ClaimRequest

    // Two index range scans, by number and by end order (an OR of both, or both in one query,
    // would scan every earlier trial).
    func refreshed() throws -> [TrialRecord] {
        let created = try TrialRecord.fetchAll(
            db.cachedStatement(sql: StudyJournal.trialsFromNumber),
            arguments: [request.knownTrials])
        let ended = try TrialRecord.fetchAll(
            db.cachedStatement(sql: StudyJournal.trialsAfterEnd), arguments: [request.knownEnds]
        )
        .filter { $0.number < request.knownTrials }
        return (ended + created).sorted { $0.number < $1.number }
    }

    func ends() throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT endCount FROM study WHERE id = 1")) ?? 0
    }

    // A worker's death on one host is found by its lock file: a live session is its own.
    func ownStop() throws -> SessionStop? { nil }

    func studyStop() throws -> (reason: StopReason, message: String?, worker: String?)? {
        guard try journal.stopSeen(db) else { return nil }
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT session.stopReason, session.message, session.worker FROM study
                LEFT JOIN session ON session.id = study.stopSession WHERE study.id = 1
                """)
        return ((row?[0] as String?).flatMap(StopReason.init(rawValue:)) ?? .error, row?[1], row?[2])
    }

    func endSession(_ stop: SessionStop) throws {
        try db.run(
            sql: "UPDATE session SET endedAt = ?, stopReason = ?, message = ? WHERE id = ?",
            arguments: [StudyJournal.now, stop.reason, journalText(stop.message), request.session])
    }

    func reap(force: Bool) throws -> [Int64] {
        try journal.reapDeadWorkers(db, current: request.session, force: force)
    }

    // The lower of each queued status' first trial, each one index lookup.
    func firstQueued() throws -> Int? {
        let statement = try db.cachedStatement(sql: "SELECT MIN(number) FROM trial WHERE status = ?")
        let first = [
            try Int.fetchOne(statement, arguments: [TrialStatus.stopped]),
            try Int.fetchOne(statement, arguments: [TrialStatus.invalid]),
        ]
        return first.compactMap { $0 }.min()
    }

    func attemptCounts(_ number: Int) throws -> (counted: Int, deaths: Int) {
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT IFNULL(SUM(counted), 0), IFNULL(SUM(outcome = ? AND graceful = 0), 0) FROM attempt WHERE trial \
                = ?
                """, arguments: [AttemptOutcome.interrupted, number])
        return (row?[0] ?? 0, row?[1] ?? 0)
    }

    func failTrial(
        _ number: Int, errorType: String, message: String,
        decide: (_ streak: Int, _ failedRun: () throws -> [Int]) throws -> SessionStop?
    ) throws -> AttemptCommit {
        try journal.failTrial(
            db, number, errorType: errorType, message: message, session: request.session, decide: decide)
    }

    func startAttempt(_ number: Int) throws -> (TrialRecord, AttemptRecord) {
        let attempt = try journal.insertAttempt(db, trial: number, session: request.session)
        guard let trial = try TrialRecord.fetchOne(db, key: number) else {
            throw JournalError(.corrupted, path: journal.path, "trial \(trialID(number)) vanished while it was claimed")
        }
        return (trial, attempt)
    }

    func nextNumber() throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT IFNULL(MAX(number) + 1, 0) FROM trial")) ?? 0
    }

    func anyRunning() throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM trial WHERE status = ?)"),
            arguments: [TrialStatus.running]) ?? false
    }

    func createTrial(_ number: Int, _ proposal: ProposedTrial) throws -> (TrialRecord, AttemptRecord) {
        try journal.insertTrial(
            db, number: number, values: proposal.values, seed: proposal.seed, session: request.session)
    }
}
