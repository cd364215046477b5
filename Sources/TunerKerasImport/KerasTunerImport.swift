import Foundation
import TunerCore
import TunerJournal

/// Imports a KerasTuner 1.4 project directory (`oracle.json`, `trial_*/trial.json`) into a
/// study journal, so that KerasTuner searches get the same reports and a resume-safe store.
///
/// What KerasTuner does not record is said in ``Result/notes``: it keeps only the last
/// traceback of a trial, no attempt times, the best step of each metric only, and not the
/// tuner's kind.
///
/// ```swift
/// let result = try KerasTunerImport.importProject(at: "untitled_project", into: "imported/journal.sqlite")
/// result.notes.forEach { print("note:", $0) }
/// ```
public enum KerasTunerImport {
    /// What an import made and what it could not map.
    public struct Result: Sendable {
        /// The journal written.
        public var journalPath: String
        /// The number of trials imported.
        public var trials: Int
        /// What could not be mapped exactly, one sentence each.
        public var notes: [String]
    }

    /// Reads a project directory and writes a new journal (an existing one is replaced).
    ///
    /// - Parameter objective: the objective's metric name; inferred from the trials' scores
    ///   when `nil`.
    /// - Throws: ``KerasTunerImportError`` naming the file and what is wrong with it.
    @discardableResult
    public static func importProject(
        at directory: String, into journalPath: String, objective: String? = nil,
        tunerKind: TunerKind = .kerasTuner
    ) throws -> Result {
        let oracle = try readJSON((directory as NSString).appendingPathComponent("oracle.json"))
        var notes: [String] = []
        let spaceJSON = ((oracle["hyperparameters"] as? [String: Any])?["space"] as? [[String: Any]]) ?? []
        var space = SearchSpace()
        for entry in spaceJSON {
            do {
                try space.add(try definition(entry))
            } catch {
                notes.append(
                    "hyperparameter \(entry["config"].flatMap { ($0 as? [String: Any])?["name"] } ?? "?") not " +
                        "imported: \(error)"
                )
            }
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let trialDirectories = files.filter { $0.hasPrefix("trial_") }.sorted()
        var trials: [(id: String, json: [String: Any])] = []
        for name in trialDirectories {
            let path = ((directory as NSString).appendingPathComponent(name) as NSString).appendingPathComponent(
                "trial.json")
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let json = try readJSON(path)
            trials.append(((json["trial_id"] as? String) ?? String(name.dropFirst(6)), json))
        }
        guard !trials.isEmpty else {
            throw KerasTunerImportError("\(directory): no trial_*/trial.json in this KerasTuner project")
        }
        let startOrder = (oracle["start_order"] as? [String]) ?? trials.map(\.id)
        let runTimes = (oracle["run_times"] as? [String: Int]) ?? [:]
        let order =
            startOrder.filter { id in trials.contains { $0.id == id } }
            + trials.map(\.id).filter { !startOrder.contains($0) }

        // The objective: the metric whose best observation equals the trials' scores.
        let objectiveName = objective ?? inferObjective(trials.map(\.json)) ?? "score"
        if objective == nil {
            notes.append(
                "the objective is not stored in a KerasTuner project: inferred as \(objectiveName) from the trials' " +
                    "scores"
            )
        }
        let direction = trials.lazy.compactMap { metricDirection($0.json, objectiveName) }.first ?? "min"
        notes.append("the tuner's kind is not stored in a KerasTuner project: imported as \(tunerKind)")
        notes.append("KerasTuner records no attempt times: durations are 0")

        let descriptor = StudyDescriptor(
            name: (directory as NSString).lastPathComponent,
            directory: (directory as NSString).deletingLastPathComponent,
            tunerKind: tunerKind, objective: Objective(objectiveName, direction: direction == "max" ? .max : .min),
            seed: UInt64((oracle["seed"] as? Int) ?? 0), space: space)
        let journal = try StudyJournal.open(
            at: journalPath, study: descriptor, options: JournalOptions(overwrite: true, synchronous: .normal))
        // KerasTuner stores no limits; the retries are the most attempts a trial ran, less one.
        let retries = max(0, (runTimes.values.max() ?? 1) - 1)
        let limits = SearchLimits(
            maxRetriesPerTrial: retries, maxConsecutiveFailedTrials: nil, maxInterruptionsPerTrial: nil)
        notes.append(
            "KerasTuner stores no limits: max_retries_per_trial imported as \(retries), the most retries a trial used")
        let session = try journal.startSession(limits: limits.json, pid: 0, host: "KerasTuner import")
        guard let sessionID = session.id else { throw KerasTunerImportError("the import session has no id") }
        var stopped: [String] = []
        for (index, id) in order.enumerated() {
            guard let json = trials.first(where: { $0.id == id })?.json else { continue }
            let values = trialValues(json, space: space)
            let status = (json["status"] as? String) ?? "COMPLETED"
            let runs = max(1, runTimes[id] ?? 1)
            let message = json["message"] as? String
            let (errorType, errorMessage) = lastError(message)
            // KerasTuner derives no per-trial seed: the trial number stands in for it.
            let (_, first) = try journal.createTrial(
                number: index, values: values, seed: UInt64(index), session: sessionID)
            var attempt = first
            let metrics = bestMetrics(json)
            let score = (json["score"] as? Double)
            switch status {
            case "COMPLETED":
                for run in 1..<runs {
                    try journal.finishAttempt(
                        attempt,
                        AttemptEnd(
                            outcome: .error, errorType: "Unknown",
                            message: "attempt \(run) failed; KerasTuner keeps no record of it",
                            duration: 0, trialStatus: .invalid))
                    attempt = try journal.startAttempt(trial: index, session: sessionID)
                }
                try journal.finishAttempt(
                    attempt,
                    AttemptEnd(
                        outcome: .completed, duration: 0, score: score, bestEpoch: json["best_step"] as? Int,
                        metrics: metrics, trialStatus: .completed))
                if runs > 1 {
                    notes.append(
                        "trial \(id): \(runs - 1) failed attempt(s) before it completed have no traceback in KerasTuner"
                    )
                }
            case "FAILED", "INVALID":
                let failedAtOnce = errorType.hasSuffix("FailedTrialError")
                for run in 1...runs {
                    let last = run == runs
                    let outcome: AttemptOutcome = failedAtOnce && last ? .failed : .error
                    let end = AttemptEnd(
                        outcome: outcome, errorType: last ? errorType : "Unknown",
                        message: last
                            ? errorMessage : "attempt \(run) failed; KerasTuner keeps only the last traceback",
                        trace: last ? message : nil, duration: 0,
                        trialStatus: last ? (status == "FAILED" ? .failed : .invalid) : .invalid)
                    try journal.finishAttempt(attempt, end)
                    if !last { attempt = try journal.startAttempt(trial: index, session: sessionID) }
                }
                if runs > 1 { notes.append("trial \(id): KerasTuner keeps only the last of its \(runs) tracebacks") }
            default:
                // RUNNING (KerasTuner leaves the trial a fatal error stopped RUNNING) or IDLE.
                try journal.finishAttempt(
                    attempt,
                    AttemptEnd(
                        outcome: .interrupted, errorType: "Interrupted",
                        message: "left \(status) by KerasTuner: a fatal error or a crash stopped its search",
                        duration: 0, trialStatus: .stopped))
                stopped.append(id)
            }
        }
        if stopped.isEmpty {
            try journal.endSession(sessionID, reason: .completed, message: "imported from KerasTuner")
        } else {
            notes.append(
                "trial(s) \(stopped.joined(separator: ", ")) were left RUNNING by KerasTuner (a fatal error or a " +
                    "crash): imported as STOPPED, and the session as interrupted"
            )
            try journal.endSession(
                sessionID, reason: .interrupted,
                message: "imported from KerasTuner; trial(s) \(stopped.joined(separator: ", ")) left RUNNING")
        }
        notes.append("KerasTuner keeps the best step of each metric only: no learning curves")
        return Result(journalPath: journalPath, trials: order.count, notes: notes)
    }

    // MARK: - Reading KerasTuner's JSON

    /// Reads a JSON file written by Python, whose `NaN`, `Infinity` and `-Infinity` tokens are
    /// not JSON: they are read as the strings "nan", "inf" and "-inf".
    static func readJSON(_ path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KerasTunerImportError("\(path): cannot read the file")
        }
        let text = replacingNonFiniteTokens(String(decoding: data, as: UTF8.self))
        do {
            guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw KerasTunerImportError("\(path): not a JSON object")
            }
            return object
        } catch let error as KerasTunerImportError {
            throw error
        } catch {
            throw KerasTunerImportError("\(path): not valid JSON (\(error.localizedDescription))")
        }
    }

    /// Replaces Python's non-finite number tokens outside strings.
    static func replacingNonFiniteTokens(_ text: String) -> String {
        var result = ""
        var inString = false, escaped = false
        var scalars = Array(text.unicodeScalars)[...]
        while let c = scalars.first {
            if inString {
                result.unicodeScalars.append(c)
                if escaped {
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    inString = false
                }
                scalars = scalars.dropFirst()
                continue
            }
            if c == "\"" { inString = true }
            var matched = false
            for (token, replacement) in [("-Infinity", "\"-inf\""), ("Infinity", "\"inf\""), ("NaN", "\"nan\"")] {
                let tokenScalars = Array(token.unicodeScalars)
                if scalars.starts(with: tokenScalars) {
                    result += replacement
                    scalars = scalars.dropFirst(tokenScalars.count)
                    matched = true
                    break
                }
            }
            if !matched {
                result.unicodeScalars.append(c)
                scalars = scalars.dropFirst()
            }
        }
        return result
    }

    static func number(_ value: Any?) -> Double? {
        if let d = value as? Double { return d }
        if let i = value as? Int { return Double(i) }
        if let s = value as? String {
            return s == "nan" ? .nan : s == "inf" ? .infinity : s == "-inf" ? -.infinity : Double(s)
        }
        return nil
    }

    /// A JSON value as a hyperparameter value: Foundation gives Booleans their own type and
    /// tells integers from floats by the number's encoding (`2.0` stays a float).
    static func value(_ any: Any) -> HyperParameterValue? {
        if let s = any as? String { return .string(s) }
        guard let n = any as? NSNumber else { return nil }
        let encoding = String(cString: n.objCType)
        if any is Bool, encoding == "c" { return .bool(n.boolValue) }
        if encoding == "d" || encoding == "f" { return .float(n.doubleValue) }
        return .int(n.intValue)
    }

    static func definition(_ entry: [String: Any]) throws -> HyperParameterDefinition {
        let config = (entry["config"] as? [String: Any]) ?? [:]
        let name = (config["name"] as? String) ?? ""
        let sampling = Sampling(rawValue: (config["sampling"] as? String) ?? "linear") ?? .linear
        let conditions: [HyperParameterDefinition.Condition] = ((config["conditions"] as? [[String: Any]]) ?? [])
            .compactMap { c in
                guard let inner = c["config"] as? [String: Any], let parent = inner["name"] as? String else {
                    return nil
                }
                return .init(parent: parent, values: ((inner["values"] as? [Any]) ?? []).compactMap(value))
            }
        let defaultValue = config["default"].flatMap { $0 is NSNull ? nil : value($0) }
        switch entry["class_name"] as? String {
        case "Int":
            return try HyperParameterDefinition(
                name: name,
                kind: .int(
                    min: (config["min_value"] as? Int) ?? 0, max: (config["max_value"] as? Int) ?? 0,
                    step: config["step"] as? Int, sampling: sampling),
                defaultValue: defaultValue, conditions: conditions)
        case "Float":
            return try HyperParameterDefinition(
                name: name,
                kind: .float(
                    min: number(config["min_value"]) ?? 0, max: number(config["max_value"]) ?? 0,
                    step: number(config["step"]), sampling: sampling),
                defaultValue: defaultValue, conditions: conditions)
        case "Choice":
            return try HyperParameterDefinition(
                name: name,
                kind: .choice(
                    values: ((config["values"] as? [Any]) ?? []).compactMap(value),
                    ordered: (config["ordered"] as? Bool) ?? false),
                defaultValue: defaultValue, conditions: conditions)
        case "Boolean":
            return try HyperParameterDefinition(
                name: name, kind: .boolean, defaultValue: defaultValue, conditions: conditions)
        case "Fixed":
            return try HyperParameterDefinition(
                name: name, kind: .fixed(config["value"].flatMap(value) ?? .string("")), conditions: conditions)
        default:
            throw KerasTunerImportError("unknown hyperparameter class \(entry["class_name"] ?? "?")")
        }
    }

    static func trialValues(_ json: [String: Any], space: SearchSpace) -> [String: HyperParameterValue] {
        let raw = ((json["hyperparameters"] as? [String: Any])?["values"] as? [String: Any]) ?? [:]
        var values: [String: HyperParameterValue] = [:]
        for (name, any) in raw {
            guard var v = value(any) else { continue }
            if case .float = space[name]?.kind, case .int(let i) = v { v = .float(Double(i)) }
            values[name] = v
        }
        return values
    }

    static func metricsObject(_ json: [String: Any]) -> [String: Any] {
        ((json["metrics"] as? [String: Any])?["metrics"] as? [String: Any]) ?? [:]
    }

    static func bestMetrics(_ json: [String: Any]) -> [String: Double] {
        var result: [String: Double] = [:]
        for (name, any) in metricsObject(json) {
            guard let observations = (any as? [String: Any])?["observations"] as? [[String: Any]],
                let last = observations.last, let value = (last["value"] as? [Any])?.first.flatMap(number)
            else { continue }
            result[name] = value
        }
        return result
    }

    static func metricDirection(_ json: [String: Any], _ name: String) -> String? {
        (metricsObject(json)[name] as? [String: Any])?["direction"] as? String
    }

    static func inferObjective(_ trials: [[String: Any]]) -> String? {
        for json in trials {
            guard let score = number(json["score"]), score.isFinite else { continue }
            let metrics = bestMetrics(json)
            if let name = metrics.filter({ $0.value == score }).keys.sorted(by: { a, b in
                a.hasPrefix("val_") && !b.hasPrefix("val_") || a < b
            }).first {
                return name
            }
        }
        return nil
    }

    /// The type and message of a Python traceback's last line.
    static func lastError(_ traceback: String?) -> (type: String, message: String) {
        guard
            let line = traceback?.split(separator: "\n").last(where: {
                !$0.trimmingCharacters(in: .whitespaces).isEmpty
            })
        else {
            return ("Error", "")
        }
        let text = String(line)
        guard let colon = text.firstIndex(of: ":") else { return (text, "") }
        let type = String(text[..<colon]).split(separator: ".").last.map(String.init) ?? "Error"
        return (type, text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }
}

/// A KerasTuner project that cannot be imported: the file and what is wrong with it.
public struct KerasTunerImportError: MessageError, Equatable {
    /// What went wrong, naming the file.
    public var message: String
    /// Makes the error.
    public init(_ message: String) { self.message = message }
}
