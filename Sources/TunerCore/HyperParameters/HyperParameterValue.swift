import Foundation

/// One value a hyperparameter takes: an integer, a float, a string or a Boolean.
///
/// Values are journaled as JSON and compared exactly, so a configuration that was tried
/// once is recognised again after a resume.
///
/// ```swift
/// let value: HyperParameterValue = .int(32)
/// print(value)          // 32
/// ```
public enum HyperParameterValue: Hashable, Sendable, Codable, CustomStringConvertible {
    /// An integer value (`Int` hyperparameters, integer `Choice` values).
    case int(Int)
    /// A floating-point value (`Float` hyperparameters, float `Choice` values).
    case float(Double)
    /// A string value (string `Choice` values).
    case string(String)
    /// A Boolean value (`Boolean` hyperparameters).
    case bool(Bool)

    /// The name of the value's type, as error messages print it.
    public var typeName: String {
        switch self {
        case .int: "int"
        case .float: "float"
        case .string: "string"
        case .bool: "bool"
        }
    }

    /// The value as a `Double`, for numeric values and Booleans (0 or 1); `nil` for strings.
    public var doubleValue: Double? {
        switch self {
        case .int(let v): Double(v)
        case .float(let v): v
        case .bool(let v): v ? 1 : 0
        case .string: nil
        }
    }

    /// The value as KerasTuner prints it: integers plainly, floats with `%.5g`.
    public var description: String {
        switch self {
        case .int(let v): String(v)
        case .float(let v): formatG5(v)
        case .string(let v): v
        case .bool(let v): v ? "True" : "False"
        }
    }

    /// The value exactly: floats in the shortest form that reads back to the same `Double`
    /// (`0.000123456789`, `1e-05`), the rest as ``description``. What a command trial receives,
    /// what exports and "to reproduce" lines show.
    public var exactDescription: String {
        switch self {
        case .float(let v): v.isFinite ? String(v) : formatG5(v)
        default: description
        }
    }

    private enum CodingKeys: String, CodingKey { case int, float, string, bool }

    /// Decodes a JSON scalar, or a `{"float": x}` tagged float.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let v = try? container.decode(Bool.self) {
            self = .bool(v)
        } else if let v = try? container.decode(Int.self) {
            self = .int(v)
        } else if let v = try? container.decode(Double.self) {
            self = .float(v)
        } else if let v = try? container.decode(String.self) {
            self = .string(v)
        } else if let tagged = try? decoder.container(keyedBy: CodingKeys.self),
            let v = try? tagged.decode(Double.self, forKey: .float)
        {
            self = .float(v)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a hyperparameter value")
        }
    }

    /// Encodes a scalar; floats are tagged `{"float": x}`.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .int(let v):
            var c = encoder.singleValueContainer(); try c.encode(v)
        case .float(let v):
            // Floats are tagged so that 2.0 does not come back as the integer 2.
            var c = encoder.container(keyedBy: CodingKeys.self); try c.encode(v, forKey: .float)
        case .string(let v):
            var c = encoder.singleValueContainer(); try c.encode(v)
        case .bool(let v):
            var c = encoder.singleValueContainer(); try c.encode(v)
        }
    }
}

/// Formats a number as C's `%.5g` does, the way KerasTuner prints values.
public func formatG5(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    return String(format: "%.5g", value)
}
