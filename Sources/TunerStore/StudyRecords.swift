import Foundation
import TunerCore

/// The study row: what the journal is about. One per journal.
///
/// ```swift
/// let study = try journal.study()
/// print(study.objective)      // Objective(name="val_loss", direction="min")
/// ```
public struct StudyRecord: Codable, Sendable, Equatable {
    /// Always 1: a journal holds one study.
    public var id: Int64 = 1
    /// The project name.
    public var name: String
    /// The directory the study lives in.
    public var directory: String
    /// The tuner kind (`GridSearch`, `RandomSearch`, …).
    public var tunerKind: TunerKind
    /// The objective's metric name.
    public var objectiveName: String
    /// The objective's direction.
    public var direction: Objective.Direction
    /// The study seed, as the bit pattern of a `UInt64`.
    public var seed: Int64
    /// The search space, as JSON.
    public var space: String
    /// When the study was created (seconds since 1970).
    public var createdAt: Double
    /// The cached consecutive-failure streak, written with each trial end (S18).
    public var streak: Int
    /// The number of trials that have ended; the next end gets this number plus one.
    public var endCount: Int
    /// What a trial runs (model, fit, data, constraints or command), as canonical JSON; `nil`
    /// when the caller's trial is code the journal cannot see (S25).
    public var trialDefinition: String?

    /// Makes a study row.
    public init(
        name: String, directory: String, tunerKind: TunerKind, objectiveName: String, direction: Objective.Direction,
        seed: Int64, space: String, createdAt: Double, streak: Int, endCount: Int, trialDefinition: String? = nil
    ) {
        self.trialDefinition = trialDefinition
        self.name = name
        self.directory = directory
        self.tunerKind = tunerKind
        self.objectiveName = objectiveName
        self.direction = direction
        self.seed = seed
        self.space = space
        self.createdAt = createdAt
        self.streak = streak
        self.endCount = endCount
    }

    /// The objective.
    public var objective: Objective {
        Objective(objectiveName, direction: direction)
    }

    /// The study seed.
    public var studySeed: UInt64 { UInt64(bitPattern: seed) }

    /// The decoded search space.
    public func searchSpace() throws -> SearchSpace {
        try JSONDecoder().decode(SearchSpace.self, from: Data(space.utf8))
    }
}

/// One session: one call of `search`, one process run.
public struct SessionRecord: Codable, Sendable, Equatable {
    /// The session number, from 1.
    public var id: Int64?
    /// The process id of the process that ran it.
    public var pid: Int
    /// The host name of the machine that ran it.
    public var host: String
    /// When it started (seconds since 1970).
    public var startedAt: Double
    /// When it ended, or the last instant it was seen alive when it was found dead.
    public var endedAt: Double?
    /// Why it ended; `nil` while it runs.
    public var stopReason: StopReason?
    /// A message about the stop (the limit reached, the fatal error, the failing file).
    public var message: String?
    /// The limits this session used, as JSON (``SearchLimits``).
    public var limits: String
    /// The worker that ran it, for a study searched by many workers (section 9); `nil` for a
    /// search that had the study to itself.
    public var worker: String? = nil

    /// Makes a session row.
    public init(
        id: Int64?, pid: Int, host: String, startedAt: Double, endedAt: Double?, stopReason: StopReason?,
        message: String?, limits: String
    ) {
        self.id = id
        self.pid = pid
        self.host = host
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.stopReason = stopReason
        self.message = message
        self.limits = limits
    }

    /// The limits this session used, decoded; `nil` where they are not readable.
    public var searchLimits: SearchLimits? { try? SearchLimits(json: limits) }
    /// The session's duration, zero while it runs.
    public var duration: Double { max(0, (endedAt ?? startedAt) - startedAt) }

}

/// One trial: a configuration with a stable id.
public struct TrialRecord: Codable, Sendable, Equatable {
    /// The trial number, from 0; its id is ``trialID``.
    public var number: Int
    /// The status.
    public var status: TrialStatus
    /// The hyperparameter values, as JSON.
    public var hyperparameters: String
    /// The trial seed, as the bit pattern of a `UInt64` (S31).
    public var seed: Int64
    /// The objective's value at the best epoch of the completing attempt.
    public var score: Double?
    /// The best epoch (0-based) of the completing attempt.
    public var bestEpoch: Int?
    /// The metrics of the completing attempt at its best epoch, as JSON.
    public var metrics: String?
    /// The error type of the failure that ended the trial FAILED or STOPPED.
    public var errorType: String?
    /// The message of the failure that ended the trial FAILED or STOPPED.
    public var message: String?
    /// The session that created the trial.
    public var createdSession: Int64
    /// When the trial was created.
    public var createdAt: Double
    /// When the trial ended COMPLETED or FAILED.
    public var endedAt: Double?
    /// The trial's place in end order (1, 2, …), for the streak (S15).
    public var endSeq: Int?

    /// The zero-padded id, `0007`.
    public var trialID: String { TunerCore.trialID(number) }
    /// The trial seed.
    public var trialSeed: UInt64 { UInt64(bitPattern: seed) }

    /// The decoded hyperparameter values.
    public func values() throws -> [String: HyperParameterValue] {
        if let fast = HyperParameterValue.decodeConfiguration(hyperparameters) { return fast }
        return try JSONDecoder().decode([String: HyperParameterValue].self, from: Data(hyperparameters.utf8))
    }

    /// Makes a trial row.
    public init(
        number: Int, status: TrialStatus, hyperparameters: String, seed: Int64, score: Double?, bestEpoch: Int?,
        metrics: String?, errorType: String?, message: String?, createdSession: Int64, createdAt: Double,
        endedAt: Double?, endSeq: Int?
    ) {
        self.number = number
        self.status = status
        self.hyperparameters = hyperparameters
        self.seed = seed
        self.score = score
        self.bestEpoch = bestEpoch
        self.metrics = metrics
        self.errorType = errorType
        self.message = message
        self.createdSession = createdSession
        self.createdAt = createdAt
        self.endedAt = endedAt
        self.endSeq = endSeq
    }

    /// The decoded metrics at the best epoch.
    public func metricValues() -> [String: Double] {
        guard let metrics else { return [:] }
        return decodeMetrics(metrics)
    }
}

/// One attempt: one execution of a trial.
public struct AttemptRecord: Codable, Sendable, Equatable {
    /// The row id.
    public var id: Int64?
    /// The trial number.
    public var trial: Int
    /// The attempt's number within its trial, from 1.
    public var number: Int
    /// The session that ran it.
    public var session: Int64
    /// The outcome; `nil` while it runs.
    public var outcome: AttemptOutcome?
    /// Whether it used one of the trial's attempts (S7, S8).
    public var counted: Bool
    /// Whether an interruption was a graceful stop (SIGINT/SIGTERM) rather than a death.
    public var graceful: Bool
    /// The error's type name.
    public var errorType: String?
    /// The error's message.
    public var message: String?
    /// The error's full trace.
    public var trace: String?
    /// When it started.
    public var startedAt: Double
    /// When it ended.
    public var endedAt: Double?
    /// How long it ran, in seconds.
    public var duration: Double?
    /// The objective's value at the best epoch, for a completed or invalid attempt.
    public var score: Double?
    /// The final metrics at the best epoch, as JSON.
    public var metrics: String?

    /// Makes an attempt row.
    public init(
        id: Int64?, trial: Int, number: Int, session: Int64, outcome: AttemptOutcome?, counted: Bool,
        graceful: Bool, errorType: String?, message: String?, trace: String?, startedAt: Double,
        endedAt: Double?, duration: Double?, score: Double?, metrics: String?
    ) {
        self.id = id
        self.trial = trial
        self.number = number
        self.session = session
        self.outcome = outcome
        self.counted = counted
        self.graceful = graceful
        self.errorType = errorType
        self.message = message
        self.trace = trace
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.duration = duration
        self.score = score
        self.metrics = metrics
    }

    /// The outcome as reports write it: its name, or `running` while the attempt runs.
    public var outcomeText: String { outcome?.rawValue ?? "running" }

}

/// One metric value of one epoch of one attempt: the learning curves.
public struct EpochMetricRecord: Codable, Sendable, Equatable {
    /// The attempt's row id.
    public var attempt: Int64
    /// The epoch, from 0.
    public var epoch: Int
    /// The metric's name.
    public var name: String
    /// The value (NaN and infinities are stored as NULL).
    public var value: Double?

    /// Makes a row.
    public init(attempt: Int64, epoch: Int, name: String, value: Double?) {
        self.attempt = attempt
        self.epoch = epoch
        self.name = name
        self.value = value
    }
}

/// Encodes metrics as JSON, writing NaN and infinities as strings.
///
/// Written directly (every trial's end writes it): what `JSONSerialization` writes — numbers in
/// their shortest exact form, whole ones without `.0` — with keys in code-point order.
package func encodeMetrics(_ metrics: [String: Double]) -> String {
    jsonObject(metrics, bytesPerEntry: 32) { value, json in
        if value.isNaN {
            json += "\"nan\""
        } else if value.isInfinite {
            json += value > 0 ? "\"inf\"" : "\"-inf\""
        } else {
            appendJSONNumber(value, to: &json)
        }
        return true
    } ?? "{}"
}

/// A JSON object of `object`'s entries in key order, each value written by `write`; `nil` when
/// `write` refuses one.
func jsonObject<Value>(
    _ object: [String: Value], bytesPerEntry: Int, _ write: (Value, inout String) -> Bool
) -> String? {
    var json = "{"
    json.reserveCapacity(bytesPerEntry * object.count + 2)
    for (index, (key, value)) in object.sorted(by: { $0.key < $1.key }).enumerated() {
        if index > 0 { json += "," }
        appendJSONString(key, to: &json)
        json += ":"
        guard write(value, &json) else { return nil }
    }
    return json + "}"
}

/// Appends a finite number as Foundation's JSON writers do: its shortest exact form, a whole
/// number without `.0`.
func appendJSONNumber(_ value: Double, to json: inout String) {
    let text = value.description
    json += text.hasSuffix(".0") ? text.dropLast(2) : Substring(text)
}

/// Appends `text` as a JSON string, escaped as `JSONSerialization` escapes it.
func appendJSONString(_ text: String, to json: inout String) {
    // Most names and values need no escape: copied whole.
    let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), slash = UInt8(ascii: "/")
    if text.utf8.allSatisfy({ $0 >= 0x20 && $0 != quote && $0 != backslash && $0 != slash }) {
        json += "\""
        json += text
        json += "\""
        return
    }
    json += "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": json += "\\\""
        case "\\": json += "\\\\"
        case "/": json += "\\/"
        case "\n": json += "\\n"
        case "\r": json += "\\r"
        case "\t": json += "\\t"
        case "\u{8}": json += "\\b"
        case "\u{C}": json += "\\f"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: json.unicodeScalars.append(scalar)
        }
    }
    json += "\""
}

/// Decodes metrics written by ``encodeMetrics(_:)``.
package func decodeMetrics(_ json: String) -> [String: Double] {
    guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else { return [:] }
    var result: [String: Double] = [:]
    for (k, v) in object {
        if let d = v as? Double {
            result[k] = d
        } else if let s = v as? String {
            result[k] = s == "nan" ? .nan : (s == "inf" ? .infinity : -.infinity)
        }
    }
    return result
}

/// Encodes hyperparameter values as JSON with sorted keys (stable, comparable text).
///
/// Written directly (every new trial writes it): the text `JSONEncoder` writes with sorted
/// keys, a float tagged as `{"float":…}` so that 2.0 does not come back as the integer 2.
package func encodeValues(_ values: [String: HyperParameterValue]) -> String {
    jsonObject(values, bytesPerEntry: 40) { value, json in
        switch value {
        case .int(let v): json += String(v)
        case .bool(let v): json += v ? "true" : "false"
        case .string(let v): appendJSONString(v, to: &json)
        case .float(let v):
            // JSONEncoder refuses a value JSON cannot write, and so the whole object.
            guard v.isFinite else { return false }
            json += "{\"float\":"
            appendJSONNumber(v, to: &json)
            json += "}"
        }
        return true
    } ?? "{}"
}

extension Sequence where Element == TrialRecord {
    /// The COMPLETED trials with a finite score, best first by `objective` (S14); equal scores
    /// keep trial order. The one ranking the summary, the reports and the status use.
    public func ranked(by objective: Objective) -> [TrialRecord] {
        filter { $0.status == .completed && ($0.score?.isFinite ?? false) }
            .sorted { a, b in objective.ranks((a.score ?? 0, a.number), before: (b.score ?? 0, b.number)) }
    }

    /// The first of ``ranked(by:)``, found in one pass without sorting or copying the trials.
    public func best(by objective: Objective) -> TrialRecord? {
        var best: TrialRecord?
        for trial in self where trial.status == .completed {
            guard let score = trial.score, score.isFinite else { continue }
            if let current = best, !objective.ranks((score, trial.number), before: (current.score ?? 0, current.number))
            {
                continue
            }
            best = trial
        }
        return best
    }
}

extension Objective {
    /// Whether a COMPLETED trial ranks before another (S14): the better score first, equal
    /// scores in trial order. The one ordering of ``Swift/Sequence/ranked(by:)``.
    package func ranks(_ a: (score: Double, number: Int), before b: (score: Double, number: Int)) -> Bool {
        a.score == b.score ? a.number < b.number : isBetter(a.score, than: b.score)
    }
}

extension Sequence where Element == SessionRecord {
    /// The total search time (S29): the sum of the sessions' durations, not the wall time
    /// since the first one; a session still open counts up to `openUntil(session)` (its last
    /// activity, or now), or not at all where that is `nil`.
    public func totalTime(openUntil: (SessionRecord) -> Double? = { _ in nil }) -> Double {
        // The union of the sessions' intervals: one after another they add up (S29); sessions
        // of many workers at once count once.
        let intervals = map { session -> (Double, Double) in
            let end = session.endedAt ?? openUntil(session) ?? session.startedAt
            return (session.startedAt, Swift.max(session.startedAt, end))
        }.sorted { $0.0 < $1.0 }
        var total = 0.0
        var current: (start: Double, end: Double)?
        for (start, end) in intervals {
            if let open = current, start <= open.end {
                current = (open.start, Swift.max(open.end, end))
            } else {
                if let open = current { total += open.end - open.start }
                current = (start, end)
            }
        }
        if let open = current { total += open.end - open.start }
        return total
    }
}

/// A stored value that is not one of a vocabulary's: the journal was edited or damaged.
public struct UnknownJournalValueError: Error, CustomStringConvertible, Sendable {
    /// The column that holds it.
    public var column: String
    /// The value, as stored.
    public var value: String
    /// The values the column may hold.
    public var known: [String]

    /// Makes the error.
    public init(column: String, value: String, known: [String]) {
        self.column = column
        self.value = value
        self.known = known
    }

    /// The message.
    public var description: String {
        "the journal's column \(column) holds \"\(value.prefix(40))\", which SwiftTuner does not write "
            + "(known: \(known.joined(separator: ", "))): the journal was edited or damaged"
    }
}
