/// The keys a study file may hold, by section: the parser accepts these and no others, and
/// the documentation's study-file reference lists every one (a test checks both).
public enum StudyFileKeys {
    /// The top level of a study file.
    public static let study = [
        "study", "directory", "tuner", "objective", "seed", "max_trials", "max_retries_per_trial",
        "max_consecutive_failed_trials", "max_interruptions_per_trial", "overwrite", "synchronous",
        "search_space", "trial", "max_epochs", "factor", "hyperband_iterations",
    ]
    /// `objective` as a mapping.
    public static let objective = ["name", "direction"]
    /// One item of `search_space`.
    public static let searchSpace = [
        "name", "type", "min", "max", "step", "sampling", "values", "ordered", "default", "value",
        "when",
    ]
    /// `trial`.
    public static let trial = [
        "model", "fit", "data", "constraints", "command", "timeout", "exit_codes", "environment",
    ]
    /// `trial.model`.
    public static let model = ["layers", "optimizer", "loss", "metrics"]
    /// One item of `trial.model.layers`.
    public static let layer = ["units", "activation", "use_bias", "dropout"]
    /// `trial.model.optimizer` as a mapping.
    public static let optimizer = ["name", "learning_rate", "momentum"]
    /// `trial.fit`.
    public static let fit = [
        "epochs", "batch_size", "shuffle", "validation_split", "early_stopping", "terminate_on_nan",
    ]
    /// `trial.fit.early_stopping`.
    public static let earlyStopping = ["monitor", "patience", "min_delta", "restore_best_weights"]
    /// One item of `trial.constraints`.
    public static let constraint = ["max_parameters", "error", "message"]
    /// `trial.data`.
    public static let data = [
        "csv", "targets", "features", "one_hot", "validation_csv", "validation_split", "standardize",
        "random", "validation_random",
    ]
    /// `trial.data.random`.
    public static let randomData = ["rows", "features", "targets", "seed"]
    /// `trial.data.validation_random`.
    public static let validationRandom = ["rows", "seed"]
    /// `trial.exit_codes`.
    public static let exitCodes = ["failed", "fatal"]

    /// Every section, by its place in a study file (`trial.fit`, `search_space[]`; the top level is "").
    public static let sections: [(path: String, keys: [String])] = [
        ("", study),
        ("objective", objective),
        ("search_space[]", searchSpace),
        ("trial", trial),
        ("trial.model", model),
        ("trial.model.layers[]", layer),
        ("trial.model.optimizer", optimizer),
        ("trial.fit", fit),
        ("trial.fit.early_stopping", earlyStopping),
        ("trial.constraints[]", constraint),
        ("trial.data", data),
        ("trial.data.random", randomData),
        ("trial.data.validation_random", validationRandom),
        ("trial.exit_codes", exitCodes),
    ]
}
