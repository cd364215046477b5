import Foundation
import TunerCore
import TunerTrainer

/// A value in a study file: a literal, or `$name`, the trial's value of a hyperparameter.
public enum Setting<T: Sendable>: Sendable {
    /// A fixed value.
    case literal(T)
    /// The value of the named hyperparameter.
    case hyperparameter(String)
}

/// What a trial of a study file runs.
public enum TrialSpec: Sendable {
    /// The built-in MLP trainer.
    case model(ModelSpec)
    /// A program, run once per attempt.
    case command(CommandSpec)

    static func parse(_ field: YAMLField, space: SearchSpace) throws -> TrialSpec {
        let fields = try field.mapping(allowed: StudyFileKeys.trial)
        if fields["model"] != nil && fields["command"] != nil {
            throw field.error("a trial runs either the built-in 'model' or a 'command', not both")
        }
        if let command = fields["command"] {
            for key in ["model", "fit", "data", "constraints"] where fields[key] != nil {
                throw fields[key]!.error(
                    "'\(key)' belongs to the built-in model; a command trial takes command, timeout, exit_codes, " +
                        "environment"
                )
            }
            return .command(try CommandSpec.parse(command, fields: fields, space: space))
        }
        guard let model = fields["model"] else {
            throw field.error("a trial needs a 'model' (the built-in MLP) or a 'command'")
        }
        guard let data = fields["data"] else { throw field.error("the built-in model needs 'data' (csv or random)") }
        for key in ["timeout", "exit_codes", "environment"] where fields[key] != nil {
            throw fields[key]!.error("'\(key)' belongs to command trials")
        }
        return .model(
            try ModelSpec.parse(model, fit: fields["fit"], data: data, constraints: fields["constraints"], space: space)
        )
    }
}

/// A hyperparameter reference or literal, parsed from a scalar.
func setting<T>(
    _ field: YAMLField, space: SearchSpace, literal: (YAMLField) throws -> T,
    accepts: (HyperParameterDefinition) -> Bool, expected: String
) throws -> Setting<T> {
    if let s = field.scalarString, s.hasPrefix("$") {
        let name = String(s.dropFirst())
        guard let definition = space[name] else {
            var message = "'$\(name)' names no hyperparameter of the search space"
            if let suggestion = closest(name, in: space.names) { message += "; did you mean '$\(suggestion)'?" }
            throw field.error(message)
        }
        guard accepts(definition) else {
            throw field.error("'$\(name)' is a \(definition.className); here it must give \(expected)")
        }
        return .hyperparameter(name)
    }
    return .literal(try literal(field))
}

extension Setting {
    /// The value for a trial.
    func resolve(_ hp: HyperParameters, _ convert: (HyperParameterValue) -> T?) throws -> T {
        switch self {
        case .literal(let value): return value
        case .hyperparameter(let name):
            guard let raw = hp[name] else {
                throw FailedTrialError("the hyperparameter '\(name)' is not active in this trial but the model uses it")
            }
            guard let value = convert(raw) else {
                throw FailedTrialError("the hyperparameter '\(name)' = \(raw) does not fit where it is used")
            }
            return value
        }
    }
}

func isNumeric(_ d: HyperParameterDefinition) -> Bool {
    switch d.kind {
    case .int, .float: return true
    case .choice(let values, _): return values.allSatisfy { $0.doubleValue != nil }
    case .fixed(let v): return v.doubleValue != nil
    case .boolean: return false
    }
}

func isInteger(_ d: HyperParameterDefinition) -> Bool {
    switch d.kind {
    case .int: return true
    case .choice(let values, _): return values.allSatisfy { if case .int = $0 { true } else { false } }
    case .fixed(let v): if case .int = v { return true } else { return false }
    default: return false
    }
}

func isString(_ d: HyperParameterDefinition) -> Bool {
    switch d.kind {
    case .choice(let values, _): return values.allSatisfy { if case .string = $0 { true } else { false } }
    case .fixed(let v): if case .string = v { return true } else { return false }
    default: return false
    }
}

func intValue(_ v: HyperParameterValue) -> Int? { if case .int(let i) = v { return i }; return nil }
func doubleValue(_ v: HyperParameterValue) -> Double? { v.doubleValue }
func stringValue(_ v: HyperParameterValue) -> String? { if case .string(let s) = v { return s }; return nil }

/// The built-in MLP a study file describes, with its fit settings, data and constraints.
public struct ModelSpec: Sendable {
    /// One layer.
    public enum Layer: Sendable {
        /// A Dense layer.
        case dense(units: Setting<Int>, activation: Setting<String>, useBias: Bool)
        /// A Dropout layer.
        case dropout(rate: Setting<Double>)
    }

    /// What a constraint raises when a model breaks it.
    public enum ConstraintError: String, Sendable {
        /// A plain error: retried.
        case plain
        /// `FailedTrialError`: failed at once.
        case failed
        /// `FatalError`: the search stops.
        case fatal
    }

    var layers: [Layer]
    var optimizer: Setting<String>
    var learningRate: Setting<Double>?
    var momentum: Setting<Double>?
    var loss: Loss
    var metrics: [Metric]
    var epochs: Setting<Int>
    var batchSize: Setting<Int>
    var shuffle: Bool
    var validationSplit: Double
    var earlyStopping: EarlyStopping?
    var terminateOnNaN: Bool
    /// The data.
    public var data: DataSpec
    var maxParameters: (limit: Int, error: ConstraintError, message: String?)?

    static func activationNames() -> [String] { Activation.allCases.map(\.rawValue) }

    /// The most units a layer may have, and the most parameters a model may have: what fits
    /// this trainer's memory, checked before anything is allocated.
    static let maxUnits = 1_000_000
    static let maxModelParameters = 1_000_000_000

    /// The model's parameter count for `inputs` features, computed from the layer sizes alone
    /// (nothing is allocated); `nil` when it overflows.
    func parameterCount(inputs: Int, units: [Int]) -> Int? {
        var total = 0, fanIn = inputs
        var index = 0
        for layer in layers {
            guard case .dense(_, _, let useBias) = layer else { continue }
            let width = units[index]
            index += 1
            let (weights, o1) = fanIn.multipliedReportingOverflow(by: width)
            let (sum, o2) = total.addingReportingOverflow(weights)
            let (withBias, o3) = sum.addingReportingOverflow(useBias ? width : 0)
            if o1 || o2 || o3 { return nil }
            total = withBias
            fanIn = width
        }
        return total
    }

    static func parse(_ model: YAMLField, fit: YAMLField?, data: YAMLField, constraints: YAMLField?, space: SearchSpace)
        throws -> ModelSpec
    {
        let fields = try model.mapping(allowed: StudyFileKeys.model)
        guard let layersField = fields["layers"] else { throw model.error("the model needs 'layers'") }
        var layers: [Layer] = []
        for item in try layersField.list() {
            let f = try item.mapping(allowed: StudyFileKeys.layer)
            if let rate = f["dropout"] {
                guard f["units"] == nil else {
                    throw item.error("a layer is either Dense (units) or Dropout (dropout), not both")
                }
                layers.append(
                    .dropout(
                        rate: try setting(
                            rate, space: space,
                            literal: { field in
                                let r = try field.double()
                                guard r >= 0, r < 1 else {
                                    throw field.error("a dropout rate must be in [0, 1), got \(r)")
                                }
                                return r
                            }, accepts: isNumeric, expected: "a rate")))
                continue
            }
            guard let units = f["units"] else {
                throw item.error("a Dense layer needs 'units' (or write {dropout: rate})")
            }
            layers.append(
                .dense(
                    units: try setting(
                        units, space: space,
                        literal: { field in
                            let u = try field.int()
                            guard u >= 1, u <= ModelSpec.maxUnits else {
                                throw field.error("units must be from 1 to \(ModelSpec.maxUnits), got \(u)")
                            }
                            return u
                        }, accepts: isInteger, expected: "an integer"),
                    activation: try f["activation"].map {
                        try setting(
                            $0, space: space, literal: { try $0.choice(activationNames()) },
                            accepts: { definition in
                                isString(definition)
                                    && definition.orderedValues.allSatisfy { value in
                                        if case .string(let name) = value {
                                            activationNames().contains(name)
                                        } else {
                                            false
                                        }
                                    }
                            }, expected: "activation names (\(activationNames().joined(separator: ", ")))")
                    } ?? .literal("linear"),
                    useBias: try f["use_bias"]?.bool() ?? true))
        }
        guard layers.contains(where: { if case .dense = $0 { true } else { false } }) else {
            throw layersField.error("the model needs at least one Dense layer")
        }
        var optimizer: Setting<String> = .literal("adam")
        var learningRate: Setting<Double>?, momentum: Setting<Double>?
        if let opt = fields["optimizer"] {
            if opt.scalarString != nil {
                optimizer = .literal(try opt.choice(["adam", "sgd"]))
            } else {
                let o = try opt.mapping(allowed: StudyFileKeys.optimizer)
                optimizer =
                    try o["name"].map {
                        try setting(
                            $0, space: space, literal: { try $0.choice(["adam", "sgd"]) }, accepts: isString,
                            expected: "adam or sgd")
                    } ?? .literal("adam")
                learningRate = try o["learning_rate"].map {
                    try setting(
                        $0, space: space,
                        literal: { field in
                            let v = try field.double()
                            guard v > 0, v.isFinite else {
                                throw field.error("a learning rate must be a positive number, got \(v)")
                            }
                            return v
                        }, accepts: isNumeric, expected: "a number")
                }
                momentum = try o["momentum"].map {
                    try setting(
                        $0, space: space,
                        literal: { field in
                            let v = try field.double()
                            guard v >= 0, v < 1 else { throw field.error("a momentum must be in [0, 1), got \(v)") }
                            return v
                        }, accepts: isNumeric, expected: "a number")
                }
            }
        }
        guard let lossField = fields["loss"] else {
            throw model.error("the model needs a 'loss' (\(Loss.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let loss = Loss(rawValue: try lossField.choice(Loss.allCases.map(\.rawValue)))!
        let metrics =
            try fields["metrics"].map {
                try $0.list().map { Metric(rawValue: try $0.choice(Metric.allCases.map(\.rawValue)))! }
            } ?? []

        let fitFields = try fit?.mapping(allowed: StudyFileKeys.fit) ?? [:]
        let positive: (YAMLField) throws -> Int = { field in
            let v = try field.int()
            guard v >= 1, v <= 10_000_000 else { throw field.error("must be from 1 to 10000000, got \(v)") }
            return v
        }
        let epochs =
            try fitFields["epochs"].map {
                try setting($0, space: space, literal: positive, accepts: isInteger, expected: "an integer")
            } ?? .literal(10)
        let batchSize =
            try fitFields["batch_size"].map {
                try setting($0, space: space, literal: positive, accepts: isInteger, expected: "an integer")
            } ?? .literal(32)
        let split = try fitFields["validation_split"]?.double() ?? 0
        if !(split >= 0 && split < 1) { throw fitFields["validation_split"]!.error("must be in [0, 1), got \(split)") }
        var earlyStopping: EarlyStopping?
        if let es = fitFields["early_stopping"] {
            let e = try es.mapping(allowed: StudyFileKeys.earlyStopping)
            let minDelta = try e["min_delta"]?.double() ?? 0, patience = try e["patience"]?.int() ?? 0
            if !(minDelta >= 0 && minDelta.isFinite) {
                throw e["min_delta"]!.error("must be a number of 0 or more, got \(minDelta)")
            }
            if patience < 0 || patience > 10_000_000 {
                throw e["patience"]!.error("must be from 0 to 10000000, got \(patience)")
            }
            earlyStopping = EarlyStopping(
                monitor: try e["monitor"]?.string() ?? "val_loss", minDelta: minDelta,
                patience: patience, restoreBestWeights: try e["restore_best_weights"]?.bool() ?? false)
        }
        var maxParameters: (Int, ConstraintError, String?)?
        if let constraints {
            for item in try constraints.list() {
                let c = try item.mapping(allowed: StudyFileKeys.constraint)
                guard let limit = c["max_parameters"] else { throw item.error("a constraint needs 'max_parameters'") }
                let value = try limit.int()
                guard value >= 1 else { throw limit.error("must be at least 1, got \(value)") }
                maxParameters = (
                    value, ConstraintError(rawValue: try c["error"]?.choice(["plain", "failed", "fatal"]) ?? "plain")!,
                    try c["message"]?.string()
                )
            }
        }
        return ModelSpec(
            layers: layers, optimizer: optimizer, learningRate: learningRate, momentum: momentum, loss: loss,
            metrics: metrics,
            epochs: epochs, batchSize: batchSize, shuffle: try fitFields["shuffle"]?.bool() ?? true,
            validationSplit: split,
            earlyStopping: earlyStopping, terminateOnNaN: try fitFields["terminate_on_nan"]?.bool() ?? true,
            data: try DataSpec.parse(data), maxParameters: maxParameters)
    }

    /// The metric names a trial reports: `loss`, the metrics, and their `val_` forms when
    /// there is validation data.
    public func reportedMetrics(hasValidation: Bool) -> [String] {
        let names = ["loss"] + metrics.map(\.rawValue)
        return hasValidation ? names + names.map { "val_" + $0 } : names
    }
}

/// Where the built-in model's data comes from.
public enum DataSpec: Sendable {
    /// A CSV file, with validation data from another file or a split.
    case csv(
        path: String, targets: [String], features: [String]?, oneHot: Bool, validationPath: String?,
        validationSplit: Double?, standardize: Bool)
    /// Uniform random numbers like `np.random.rand`, seeded.
    case random(rows: Int, features: Int, targets: Int, seed: UInt64, validationRows: Int?, validationSeed: UInt64)

    static func parse(_ field: YAMLField) throws -> DataSpec {
        let fields = try field.mapping(allowed: StudyFileKeys.data)
        if let random = fields["random"] {
            let r = try random.mapping(allowed: StudyFileKeys.randomData)
            func positive(_ key: String, _ fallback: Int?) throws -> Int {
                guard let f = r[key] else {
                    if let fallback { return fallback }
                    throw random.error("random data needs '\(key)'")
                }
                let v = try f.int()
                guard v >= 1, v <= 10_000_000 else { throw f.error("must be from 1 to 10000000, got \(v)") }
                return v
            }
            func seed(_ field: YAMLField?, _ fallback: UInt64) throws -> UInt64 {
                guard let field else { return fallback }
                let v = try field.int()
                guard v >= 0 else { throw field.error("a seed must be 0 or more, got \(v)") }
                return UInt64(v)
            }
            let rows = try positive("rows", nil), features = try positive("features", nil),
                targets = try positive("targets", 1)
            var validationRows: Int?, validationSeed: UInt64 = 1
            if let v = fields["validation_random"] {
                let vf = try v.mapping(allowed: StudyFileKeys.validationRandom)
                let count = try vf["rows"]?.int() ?? 100
                if count < 1 || count > 10_000_000 {
                    throw vf["rows"]!.error("must be from 1 to 10000000, got \(count)")
                }
                validationRows = count
                validationSeed = try seed(vf["seed"], 1)
            }
            // What the data takes in memory: 4 bytes a value, at most 2 GB.
            let limit = 500_000_000
            for (count, name) in [(rows, "rows"), (validationRows ?? 0, "validation_random.rows")] {
                let (cells, overflow) = count.multipliedReportingOverflow(by: features + targets)
                if overflow || cells > limit {
                    throw random.error(
                        "\(name) × (features + targets) is more than \(limit) values: too large to generate")
                }
            }
            return .random(
                rows: rows, features: features, targets: targets,
                seed: try seed(r["seed"], 0), validationRows: validationRows, validationSeed: validationSeed)
        }
        guard let csv = fields["csv"] else { throw field.error("data needs 'csv' (a file) or 'random' (generated)") }
        guard let targets = fields["targets"] else {
            throw field.error("CSV data needs 'targets' (the target column names)")
        }
        let targetNames: [String] =
            targets.scalarString != nil ? [try targets.string()] : try targets.list().map { try $0.string() }
        let split = try fields["validation_split"]?.double()
        if let split, !(split > 0 && split < 1) {
            throw fields["validation_split"]!.error("must be in (0, 1), got \(split)")
        }
        return .csv(
            path: try csv.string(), targets: targetNames,
            features: try fields["features"]?.list().map { try $0.string() },
            oneHot: try fields["one_hot"]?.bool() ?? false, validationPath: try fields["validation_csv"]?.string(),
            validationSplit: split, standardize: try fields["standardize"]?.bool() ?? false)
    }
}

/// A program a trial runs once per attempt.
public struct CommandSpec: Sendable {
    /// The command template: `{name}` is replaced by a hyperparameter's value.
    public var template: String
    /// Seconds an attempt may run; `nil` for no limit.
    public var timeout: Double?
    /// The exit code that means `FailedTrialError` (default 3).
    public var failedExitCode: Int32
    /// The exit code that means `FatalError` (default 4).
    public var fatalExitCode: Int32
    /// Extra environment variables.
    public var environment: [String: String]

    /// The longest timeout accepted: a year, in seconds.
    static let maxTimeout: Double = 366 * 86_400

    static func parse(_ command: YAMLField, fields: [String: YAMLField], space: SearchSpace) throws -> CommandSpec {
        let template = try command.string()
        for name in placeholders(template) {
            if space[name] == nil {
                var message = "the command names '{\(name)}', which is no hyperparameter of the search space"
                if let suggestion = closest(name, in: space.names) { message += "; did you mean '{\(suggestion)}'?" }
                throw command.error(message)
            }
        }
        var failed: Int32 = 3, fatal: Int32 = 4
        if let codes = fields["exit_codes"] {
            let c = try codes.mapping(allowed: StudyFileKeys.exitCodes)
            func code(_ key: String, _ fallback: Int32) throws -> Int32 {
                guard let field = c[key] else { return fallback }
                let value = try field.int()
                guard (1...255).contains(value) else {
                    throw field.error("an exit code is from 1 to 255, got \(value)")
                }
                return Int32(value)
            }
            failed = try code("failed", 3)
            fatal = try code("fatal", 4)
            if failed == fatal || failed == 0 || fatal == 0 {
                throw codes.error("the failed and fatal exit codes must differ from each other and from 0")
            }
        }
        var environment: [String: String] = [:]
        if let env = fields["environment"] {
            guard case .mapping(let mapping) = env.node else {
                throw env.error("expected a mapping of names to values")
            }
            for (key, value) in mapping {
                let name = key.string ?? ""
                guard !name.isEmpty, !name.contains("="), !name.utf8.contains(0), !(value.string ?? "").utf8.contains(0)
                else {
                    throw YAMLField(node: key, path: env.path, file: env.file).error(
                        "an environment variable's name must be non-empty, without '=' or NUL, got \"\(name)\"")
                }
                environment[name] = value.string ?? ""
            }
        }
        let timeout = try fields["timeout"].map { field -> Double in
            let t = try field.double()
            guard t > 0, t <= CommandSpec.maxTimeout else {
                throw field.error(
                    "a timeout is more than 0 and at most \(Int(CommandSpec.maxTimeout)) seconds (a year), got " +
                        "\(formatG5(t))"
                )
            }
            return t
        }
        return CommandSpec(
            template: template, timeout: timeout, failedExitCode: failed, fatalExitCode: fatal, environment: environment
        )
    }
}

/// The `{name}` placeholders of a command template: braces around an identifier only, so
/// that JSON or shell braces elsewhere stay as they are.
func placeholders(_ template: String) -> [String] {
    var names: [String] = []
    var index = template.startIndex
    while let open = template[index...].firstIndex(of: "{") {
        let after = template.index(after: open)
        guard let close = template[after...].firstIndex(of: "}") else { break }
        let name = String(template[after..<close])
        if let first = name.first, first.isLetter || first == "_",
            name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
        {
            names.append(name)
            index = template.index(after: close)
        } else {
            index = after
        }
    }
    return names
}

extension CommandSpec {
    /// The program the command starts (its first word).
    var program: String {
        String(template.trimmingCharacters(in: .whitespaces).prefix { !$0.isWhitespace })
    }

    /// Checks that the program exists before any journal is touched.
    func checkExecutable(studyPath: String) throws {
        let program = self.program
        let fm = FileManager.default
        if program.contains("/") {
            guard fm.isExecutableFile(atPath: program) else {
                throw StudyFileError(
                    path: studyPath, field: "trial.command",
                    "the program \(program) does not exist or is not executable")
            }
            return
        }
        // Shell words and builtins: the shell itself runs them.
        let builtins: Set<String> = [
            "cd", "exec", "exit", "export", "set", "test", "[", "true", "false", "echo", "if", "for", "while",
            "until", "case", "{", "(", "!", ".", ":", "eval", "read", "printf", "ulimit", "umask", "trap",
        ]
        if builtins.contains(program) { return }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where fm.isExecutableFile(atPath: "\(directory)/\(program)") {
            return
        }
        throw StudyFileError(
            path: studyPath, field: "trial.command", "the program '\(program)' is not on the PATH (\(path))")
    }
}
