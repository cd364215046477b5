import Foundation
import TunerCore
import TunerJournal
import TunerReports

/// The records the JSON API returns (described by `/api/openapi.json`).
enum DashboardAPI {
    /// A study of the catalog: its key and folder, and its overview or why it cannot be read.
    static func listed(_ entry: StudyCatalog.Entry, _ overview: Result<StudyOverview, any Error>) -> ListedStudy {
        ListedStudy(key: entry.key, folder: entry.folder, overview)
    }

    /// A hyperparameter's value as JSON: a number, text or a Boolean.
    enum Value: Encodable {
        case value(HyperParameterValue)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .value(.int(let value)): try container.encode(value)
            case .value(.float(let value)): try container.encode(value)
            case .value(.string(let value)): try container.encode(value)
            case .value(.bool(let value)): try container.encode(value)
            }
        }
    }

    /// One epoch's metric.
    struct Epoch: Encodable {
        var epoch: Int
        var name: String
        var value: Double?
    }

    /// One attempt with its trace and every metric of every epoch.
    struct Attempt: Encodable {
        var number: Int
        var outcome: String
        var counted: Bool
        var graceful: Bool
        var session: Int64
        var errorType: String?
        var message: String?
        var trace: String?
        var startedAt: Double
        var endedAt: Double?
        var durationSeconds: Double?
        var score: Double?
        var epochs: [Epoch]
    }

    /// One trial with its attempts.
    struct Trial: Encodable {
        var number: Int
        var id: String
        var status: String
        var score: Double?
        var bestEpoch: Int?
        var seed: String
        var hyperparameters: [String: Value]
        var errorType: String?
        var message: String?
        var startedAt: Double
        var endedAt: Double?
        var attempts: [Attempt]

        /// Reads the trial's attempts and metrics; call inside one snapshot of the journal.
        init(_ trial: TrialRecord, journal: StudyJournal) throws {
            number = trial.number
            id = trial.trialID
            status = trial.status.rawValue
            score = trial.score
            bestEpoch = trial.bestEpoch
            seed = String(trial.trialSeed)
            hyperparameters = (try trial.values()).mapValues { Value.value($0) }
            errorType = trial.errorType
            message = trial.message
            startedAt = trial.createdAt
            endedAt = trial.endedAt
            attempts = try journal.attempts(ofTrial: trial.number).map { attempt in
                Attempt(
                    number: attempt.number, outcome: attempt.outcomeText, counted: attempt.counted,
                    graceful: attempt.graceful, session: attempt.session, errorType: attempt.errorType,
                    message: attempt.message, trace: attempt.trace, startedAt: attempt.startedAt,
                    endedAt: attempt.endedAt, durationSeconds: attempt.duration, score: attempt.score,
                    epochs: try attempt.id.map { id in
                        try journal.epochMetrics(ofAttempt: id).map {
                            Epoch(epoch: $0.epoch, name: $0.name, value: $0.value)
                        }
                    } ?? [])
            }
        }
    }
}
