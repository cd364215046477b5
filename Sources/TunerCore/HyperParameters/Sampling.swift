/// How a numeric hyperparameter's range is explored, as in KerasTuner.
///
/// ```swift
/// let lr = try hp.float("learning_rate", min: 1e-4, max: 1e-1, sampling: .log)
/// ```
public enum Sampling: String, Codable, Sendable, CaseIterable {
    /// Uniform over the range.
    case linear
    /// Uniform over the logarithm of the range: as many values between 1e-4 and 1e-3 as
    /// between 1e-2 and 1e-1. Needs a positive minimum.
    case log
    /// Denser near the maximum: the mirror image of `log`. Needs a positive minimum.
    case reverseLog = "reverse_log"
}
