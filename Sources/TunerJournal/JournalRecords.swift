import Foundation
import GRDB
@_exported import TunerStore
import TunerCore

// The store's records as GRDB records of the SQLite journal's tables.

extension StudyRecord: FetchableRecord, PersistableRecord {
    /// The table name.
    public static let databaseTableName = "study"

    /// The columns of the study table.
    public enum Columns {
        /// The study's columns, by the property they fill.
        public static let id = Column("id"), name = Column("name"),
            directory = Column("directory"), tunerKind = Column("tunerKind"),
            objectiveName = Column("objectiveName"), direction = Column("direction"),
            seed = Column("seed"), space = Column("space"), createdAt = Column("createdAt"),
            streak = Column("streak"), endCount = Column("endCount"),
            trialDefinition = Column("trialDefinition")
    }

    /// Decodes a row; a journal of schema version 1 has no cached streak or end count yet.
    /// A value no SwiftTuner writes (an unknown direction) is an error naming it.
    public init(row: Row) throws {
        self.init(
            name: try row.decode(forColumn: "name"), directory: try row.decode(forColumn: "directory"),
            tunerKind: try row.decode(forColumn: "tunerKind"),
            objectiveName: try row.decode(forColumn: "objectiveName"),
            direction: try row.decodeKnown(forColumn: "direction"), seed: try row.decode(forColumn: "seed"),
            space: try row.decode(forColumn: "space"), createdAt: try row.decode(forColumn: "createdAt"),
            streak: try row.decode(Int?.self, forColumn: "streak") ?? 0,
            endCount: try row.decode(Int?.self, forColumn: "endCount") ?? 0,
            trialDefinition: try row.decode(forColumn: "trialDefinition"))
        id = try row.decode(forColumn: "id")
    }
}

extension SessionRecord: FetchableRecord, MutablePersistableRecord {
    /// The table name.
    public static let databaseTableName = "session"

    /// The columns of the session table.
    public enum Columns {
        /// The session's columns, by the property they fill.
        public static let id = Column("id"), pid = Column("pid"), host = Column("host"),
            startedAt = Column("startedAt"), endedAt = Column("endedAt"),
            stopReason = Column("stopReason"), message = Column("message"),
            limits = Column("limits"), worker = Column("worker")
    }

    /// Records the id SQLite assigned.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension TrialRecord: FetchableRecord, PersistableRecord {
    /// The table name.
    public static let databaseTableName = "trial"

    /// Decodes a row column by column (faster than `Codable` for the thousands of rows of a resume).
    /// Rows must come from ``selection`` (columns by position).
    /// A status no SwiftTuner writes is an error naming it.
    public init(row: Row) throws {
        self.init(
            number: try row.decode(atIndex: 0), status: try row.decodeKnown(atIndex: 1, column: "status"),
            hyperparameters: try row.decode(atIndex: 2), seed: try row.decode(atIndex: 3),
            score: try row.decode(atIndex: 4), bestEpoch: try row.decode(atIndex: 5),
            metrics: try row.decode(atIndex: 6), errorType: try row.decode(atIndex: 7),
            message: try row.decode(atIndex: 8), createdSession: try row.decode(atIndex: 9),
            createdAt: try row.decode(atIndex: 10), endedAt: try row.decode(atIndex: 11),
            endSeq: try row.decode(atIndex: 12))
    }

    /// The columns of the trial table.
    public enum Columns {
        /// The trial's columns, by the property they fill.
        public static let number = Column("number"), status = Column("status"),
            hyperparameters = Column("hyperparameters"), seed = Column("seed"),
            score = Column("score"), bestEpoch = Column("bestEpoch"),
            metrics = Column("metrics"), errorType = Column("errorType"),
            message = Column("message"), createdSession = Column("createdSession"),
            createdAt = Column("createdAt"), endedAt = Column("endedAt"),
            endSeq = Column("endSeq")
    }

    /// The columns in the order ``init(row:)`` reads them.
    public static var databaseSelection: [any SQLSelectable] { selection(metrics: true) }

    /// The columns in the order ``init(row:)`` reads them; without `metrics`, NULL in the
    /// metrics' place, so that a reading that does not show them does not hold them.
    static func selection(metrics: Bool) -> [any SQLSelectable] {
        [
            Columns.number, Columns.status, Columns.hyperparameters, Columns.seed, Columns.score, Columns.bestEpoch,
            metrics ? Columns.metrics : SQL("NULL"), Columns.errorType, Columns.message, Columns.createdSession,
            Columns.createdAt, Columns.endedAt, Columns.endSeq,
        ]
    }
}

extension AttemptRecord: FetchableRecord, MutablePersistableRecord {
    /// The table name.
    public static let databaseTableName = "attempt"

    /// The columns of the attempt table.
    public enum Columns {
        /// The attempt's columns, by the property they fill.
        public static let id = Column("id"), trial = Column("trial"), number = Column("number"),
            session = Column("session"), outcome = Column("outcome"),
            counted = Column("counted"), graceful = Column("graceful"),
            errorType = Column("errorType"), message = Column("message"),
            trace = Column("trace"), startedAt = Column("startedAt"),
            endedAt = Column("endedAt"), duration = Column("duration"),
            score = Column("score"), metrics = Column("metrics")
    }

    /// Records the id SQLite assigned.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Decodes a row column by column (a report reads every attempt of a study).
    /// Rows must come from ``databaseSelection`` (columns by position).
    /// An outcome no SwiftTuner writes is an error naming it.
    public init(row: Row) throws {
        let stored: DatabaseValue = row[4]
        let outcome: AttemptOutcome?
        if stored.isNull {
            outcome = nil
        } else {
            outcome = try row.decodeKnown(atIndex: 4, column: "outcome") as AttemptOutcome
        }
        self.init(
            id: try row.decode(atIndex: 0), trial: try row.decode(atIndex: 1), number: try row.decode(atIndex: 2),
            session: try row.decode(atIndex: 3), outcome: outcome, counted: try row.decode(atIndex: 5),
            graceful: try row.decode(atIndex: 6), errorType: try row.decode(atIndex: 7),
            message: try row.decode(atIndex: 8), trace: try row.decode(atIndex: 9),
            startedAt: try row.decode(atIndex: 10), endedAt: try row.decode(atIndex: 11),
            duration: try row.decode(atIndex: 12), score: try row.decode(atIndex: 13),
            metrics: try row.decode(atIndex: 14))
    }

    /// The columns in the order ``init(row:)`` reads them.
    public static var databaseSelection: [any SQLSelectable] {
        [
            Columns.id, Columns.trial, Columns.number, Columns.session, Columns.outcome, Columns.counted,
            Columns.graceful, Columns.errorType, Columns.message, Columns.trace, Columns.startedAt, Columns.endedAt,
            Columns.duration, Columns.score, Columns.metrics,
        ]
    }
}

extension EpochMetricRecord: FetchableRecord, PersistableRecord {
    /// The table name.
    public static let databaseTableName = "epochMetric"

    /// The columns of the epoch-metric table.
    public enum Columns {
        /// The epoch metric's columns, by the property they fill.
        public static let attempt = Column("attempt"), epoch = Column("epoch"),
            name = Column("name"), value = Column("value")
    }
}

extension TrialStatus: DatabaseValueConvertible {}
extension AttemptOutcome: DatabaseValueConvertible {}
extension StopReason: DatabaseValueConvertible {}
extension TunerKind: DatabaseValueConvertible {}
extension Objective.Direction: DatabaseValueConvertible {}

extension Row {
    /// Decodes a vocabulary value, or throws ``UnknownJournalValueError`` naming what is stored.
    func decodeKnown<Value: DatabaseValueConvertible & RawRepresentable & CaseIterable>(
        atIndex index: Int, column: String
    ) throws -> Value where Value.RawValue == String {
        let stored: DatabaseValue = self[index]
        if let value = Value.fromDatabaseValue(stored) { return value }
        throw UnknownJournalValueError(column: column, value: "\(stored)", known: Value.allCases.map(\.rawValue))
    }

    /// Decodes a vocabulary value by column name.
    func decodeKnown<Value: DatabaseValueConvertible & RawRepresentable & CaseIterable>(
        forColumn column: String
    ) throws -> Value where Value.RawValue == String {
        let stored: DatabaseValue = hasColumn(column) ? self[column] : .null
        if let value = Value.fromDatabaseValue(stored) { return value }
        throw UnknownJournalValueError(column: column, value: "\(stored)", known: Value.allCases.map(\.rawValue))
    }
}
