/// A hyperparameter definition or use that cannot work: a usage error, named after the
/// hyperparameter, raised before any trial runs.
///
/// ```swift
/// do { _ = try hp.int("units", min: 40, max: 10) }
/// catch let error as HyperParameterError { print(error) }
/// // Hyperparameter 'units': min_value 40 is greater than max_value 10
/// ```
public struct HyperParameterError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The hyperparameter's name.
    public var name: String
    /// What is wrong with it.
    public var reason: String

    /// Makes an error about the hyperparameter `name`.
    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }

    /// The message, naming the hyperparameter.
    public var description: String { "Hyperparameter '\(name)': \(reason)" }
}
