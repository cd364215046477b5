import Foundation
import TunerCore
import TunerPostgres
import TunerEngine
import TunerJournal
import TunerTrainer
import Yams

/// A search described in a YAML study file: the study, its tuner and limits, the search
/// space, and what a trial runs (the built-in MLP or a command).
///
/// ```yaml
/// study: seed-guide-tolerate
/// tuner: grid
/// objective: val_loss
/// max_retries_per_trial: 3
/// max_consecutive_failed_trials: 8
/// search_space:
///   - {name: units_1, type: int, min: 10, max: 40, step: 10}
/// trial:
///   model: {layers: [{units: $units_1}, {units: 1}], loss: mean_squared_error}
///   data: {random: {rows: 100, features: 20, targets: 1}}
/// ```
public struct StudyFile: Sendable {
    /// The file it was read from.
    public var path: String
    /// The study's (project's) name.
    public var name: String
    /// The directory that holds the study (default `.tuner`).
    public var directory: String
    /// The tuner: `grid`, `random`, `bayesian` or `hyperband` in the file.
    public var tuner: TunerKind
    /// The objective.
    public var objective: Objective
    /// The study seed (a new study draws one when absent).
    public var seed: UInt64?
    /// The maximum number of trials.
    public var maxTrials: Int?
    /// Retries per trial.
    public var maxRetriesPerTrial: Int
    /// The consecutive-failure limit (`none` disables it).
    public var maxConsecutiveFailedTrials: Int?
    /// The death limit per trial (`none` disables it).
    public var maxInterruptionsPerTrial: Int?
    /// Start an empty study.
    public var overwrite: Bool
    /// The journal's durability.
    public var synchronous: JournalOptions.Synchronous
    /// Hyperband: the epochs of the longest-trained models (KerasTuner's `max_epochs`).
    public var maxEpochs: Int = 100
    /// Hyperband: the reduction factor between rounds.
    public var factor: Int = 3
    /// Hyperband: how many times the brackets run.
    public var hyperbandIterations: Int = 1
    /// The search space.
    public var space: SearchSpace
    /// What each trial runs.
    public var trial: TrialSpec
    /// The file's `trial` section as canonical JSON: a resume compares it with the journaled
    /// one and refuses a changed definition unless the change is accepted (S25).
    public var trialDefinition: String = ""
    /// Where the study is kept instead of its journal: a `postgresql://` URL (from the command
    /// line's `--store`, never from the file, so that no password sits in a study file).
    public var store: String?
    /// The lease of a worker on a PostgreSQL study, in seconds (section 9).
    public var leaseSeconds: Double = 15

    /// The journal's path: `directory/name/journal.sqlite`.
    public var journalPath: String {
        ((directory as NSString).appendingPathComponent(name) as NSString).appendingPathComponent("journal.sqlite")
    }

    /// The console's last line: where the study is kept.
    public var storeLine: String {
        guard let store else { return "Journal: \(journalPath)" }
        let shown = (try? PostgresURL(store).redacted) ?? "a PostgreSQL store"
        return "Study: \(name) in \(shown)"
    }

    /// Reads and checks a study file.
    ///
    /// - Throws: ``StudyFileError`` naming the line, column and field of the first problem.
    public static func load(_ path: String) throws -> StudyFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StudyFileError(path: path, "cannot read the study file (missing or unreadable)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StudyFileError(
                path: path,
                "the file is not UTF-8 text: the first invalid byte is at offset \(invalidUTF8Offset(in: data) ?? 0)")
        }
        return try parse(text, path: path)
    }

    /// Parses study-file text.
    public static func parse(_ text: String, path: String) throws -> StudyFile {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw StudyFileError(path: path, "the study file is empty")
            }
            root = node
        } catch let error as YamlError {
            throw yamlError(error, path: path)
        }
        let fields = try YAMLField(node: root, path: "", file: path).mapping(allowed: StudyFileKeys.study)
        func required(_ key: String) throws -> YAMLField {
            guard let field = fields[key] else {
                throw StudyFileError(
                    path: path, line: 1, column: 1, field: key, "missing; every study file needs '\(key)'")
            }
            return field
        }
        let name = try required("study").string()
        guard !name.contains("/"), !name.hasPrefix(".") else {
            throw try required("study").error("a study name cannot contain '/' or start with '.'")
        }
        let tuner = try fields["tuner"].map { try $0.choice(TunerKind.studyFileNames.map(\.name)) } ?? "random"
        let objective = try parseObjective(try required("objective"))
        var space = SearchSpace()
        let spaceField = try required("search_space")
        for item in try spaceField.list() {
            let definition = try parseHyperParameter(item, space: space)
            do {
                try space.add(definition)
            } catch let error as HyperParameterError {
                throw item.error(error.reason)
            }
        }
        let trialField = try required("trial")
        let trial = try TrialSpec.parse(trialField, space: space)
        func nonNegative(_ key: String, _ value: Int) throws -> Int {
            guard value >= 0 else { throw fields[key]!.error("must be 0 or more, got \(value)") }
            guard value <= SearchLimits.maxRetriesLimit else {
                throw fields[key]!.error("must be at most \(SearchLimits.maxRetriesLimit), got \(value)")
            }
            return value
        }
        func positiveOrNone(_ key: String) throws -> Int?? {
            guard let field = fields[key] else { return .none }
            let value = try field.optionalInt()
            if let value, value <= 0 {
                throw field.error("must be positive, or none to disable the limit; got \(value)")
            }
            return .some(value)
        }
        var maxTrials: Int?
        if let field = fields["max_trials"] {
            maxTrials = try field.optionalInt()
            if let m = maxTrials, m <= 0 { throw field.error("must be positive, got \(m)") }
        }
        let seed: UInt64? = try fields["seed"].map { field in
            guard let s = field.scalarString, let v = UInt64(s) else {
                throw field.error("expected a non-negative integer, found \(field.kindName)")
            }
            return v
        }
        func positive(_ key: String, _ fallback: Int, minimum: Int = 1, maximum: Int) throws -> Int {
            guard let field = fields[key] else { return fallback }
            let value = try field.int()
            guard value >= minimum, value <= maximum else {
                throw field.error("must be from \(minimum) to \(maximum), got \(value)")
            }
            return value
        }
        let maxEpochs = try positive("max_epochs", 100, maximum: 1_000_000)
        let factor = try positive("factor", 3, minimum: 2, maximum: 1_000)
        let iterations = try positive("hyperband_iterations", 1, maximum: 10_000)
        var file = StudyFile(
            path: path, name: name,
            directory: try fields["directory"]?.string() ?? ".tuner",
            tuner: TunerKind(studyFileName: tuner) ?? .randomSearch,
            objective: objective, seed: seed, maxTrials: maxTrials,
            maxRetriesPerTrial: try nonNegative(
                "max_retries_per_trial", try fields["max_retries_per_trial"]?.int() ?? 0),
            maxConsecutiveFailedTrials: try positiveOrNone("max_consecutive_failed_trials") ?? 3,
            maxInterruptionsPerTrial: try positiveOrNone("max_interruptions_per_trial") ?? 3,
            overwrite: try fields["overwrite"]?.bool() ?? false,
            synchronous: try fields["synchronous"].map {
                try $0.choice(["full", "normal"]) == "normal" ? .normal : .full
            } ?? .full,
            space: space, trial: trial)
        file.trialDefinition = trialField.canonicalJSON
        file.maxEpochs = maxEpochs
        file.factor = factor
        file.hyperbandIterations = iterations
        return file
    }

    static func yamlError(_ error: YamlError, path: String) -> StudyFileError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
            let .composer(context, problem, mark, _):
            let detail = context.map { "\(problem) \($0.text)" } ?? problem
            return StudyFileError(path: path, line: mark.line, column: mark.column, "malformed YAML: \(detail)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return StudyFileError(
                path: path, line: context.mark.line, column: context.mark.column,
                "malformed YAML: the key(s) \(duplicates.joined(separator: ", ")) appear twice")
        default:
            return StudyFileError(path: path, "malformed YAML: \(error)")
        }
    }

    static func parseObjective(_ field: YAMLField) throws -> Objective {
        if let name = field.scalarString {
            guard let direction = Objective.inferDirection(name) else {
                throw field.error(
                    "cannot infer whether to minimize or maximize \"\(name)\"; write {name: \(name), direction: min} " +
                        "or max"
                )
            }
            return Objective(name, direction: direction)
        }
        let fields = try field.mapping(allowed: StudyFileKeys.objective)
        guard let nameField = fields["name"] else { throw field.error("an objective needs a name") }
        let name = try nameField.string()
        let direction = try fields["direction"].map { try $0.choice(["min", "max"]) }
        guard let resolved = direction.flatMap(Objective.Direction.init(rawValue:)) ?? Objective.inferDirection(name)
        else {
            throw field.error("cannot infer whether to minimize or maximize \"\(name)\"; add direction: min or max")
        }
        return Objective(name, direction: resolved)
    }

    static func parseHyperParameter(_ item: YAMLField, space: SearchSpace) throws -> HyperParameterDefinition {
        let fields = try item.mapping(allowed: StudyFileKeys.searchSpace)
        guard let nameField = fields["name"] else { throw item.error("a hyperparameter needs a name") }
        let name = try nameField.string()
        guard let typeField = fields["type"] else {
            throw item.error("'\(name)' needs a type: int, float, choice, boolean or fixed")
        }
        let type = try typeField.choice(["int", "float", "choice", "boolean", "fixed"])
        let sampling =
            try fields["sampling"].map { field -> Sampling in
                Sampling(rawValue: try field.choice(["linear", "log", "reverse_log"]))!
            } ?? .linear
        var conditions: [HyperParameterDefinition.Condition] = []
        if let when = fields["when"] {
            guard case .mapping(let mapping) = when.node else { throw when.error("expected {parent: [values]}") }
            for (key, value) in mapping {
                guard let parent = key.string, space[parent] != nil else {
                    throw YAMLField(node: key, path: when.path, file: item.file).error(
                        "the condition names '\(key.string ?? "?")', which is not defined before '\(name)'")
                }
                let field = YAMLField(node: value, path: "\(when.path).\(parent)", file: item.file)
                let values: [YAMLField] = (try? field.list()) ?? [field]
                conditions.append(.init(parent: parent, values: try values.map { try literalValue($0) }))
            }
        }
        func need(_ key: String) throws -> YAMLField {
            guard let field = fields[key] else { throw item.error("'\(name)' (\(type)) needs '\(key)'") }
            return field
        }
        let kind: HyperParameterDefinition.Kind
        var defaultValue = try fields["default"].map(literalValue)
        switch type {
        case "int":
            kind = .int(
                min: try need("min").int(), max: try need("max").int(), step: try fields["step"]?.int(),
                sampling: sampling)
        case "float":
            kind = .float(
                min: try need("min").double(), max: try need("max").double(), step: try fields["step"]?.double(),
                sampling: sampling)
        case "choice":
            let values = try need("values").list().map(literalValue)
            kind = .choice(values: values, ordered: try fields["ordered"]?.bool() ?? false)
        case "boolean":
            kind = .boolean
        default:
            kind = .fixed(try literalValue(try need("value")))
            defaultValue = nil
        }
        do {
            return try HyperParameterDefinition(
                name: name, kind: kind, defaultValue: defaultValue, conditions: conditions)
        } catch let error as HyperParameterError {
            throw item.error(error.description)
        }
    }

    static func literalValue(_ field: YAMLField) throws -> HyperParameterValue {
        switch try field.hyperParameterValue() {
        case .int(let i): .int(i)
        case .float(let d): .float(d)
        case .string(let s): .string(s)
        case .bool(let b): .bool(b)
        }
    }
}
