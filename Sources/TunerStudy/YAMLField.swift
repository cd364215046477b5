import Foundation
import Yams

/// A YAML node with its place in the file and its field path, for errors that name both.
struct YAMLField {
    let node: Node
    let path: String
    let file: String

    func error(_ message: String) -> StudyFileError {
        StudyFileError(
            path: file, line: node.mark?.line, column: node.mark?.column, field: path.isEmpty ? nil : path, message)
    }

    var kindName: String {
        switch node {
        case .scalar(let s): s.string.isEmpty ? "an empty value" : "\"\(s.string)\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// The mapping's fields by key, refusing keys outside `allowed` with a suggestion.
    func mapping(allowed: [String]) throws -> [String: YAMLField] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping, found \(kindName)") }
        var result: [String: YAMLField] = [:]
        for (key, value) in mapping {
            guard case .scalar(let k) = key else {
                throw YAMLField(node: key, path: path, file: file).error("expected a key, found a \(key)")
            }
            let name = k.string
            let childPath = path.isEmpty ? name : "\(path).\(name)"
            guard allowed.contains(name) else {
                var message = "unknown key '\(name)'"
                if let suggestion = closest(name, in: allowed) { message += "; did you mean '\(suggestion)'?" }
                message += " The keys here are: \(allowed.joined(separator: ", "))."
                throw YAMLField(node: key, path: childPath, file: file).error(message)
            }
            result[name] = YAMLField(node: value, path: childPath, file: file)
        }
        return result
    }

    /// The list's items.
    func list() throws -> [YAMLField] {
        guard case .sequence(let sequence) = node else { throw error("expected a list, found \(kindName)") }
        return sequence.enumerated().map { YAMLField(node: $1, path: "\(path)[\($0)]", file: file) }
    }

    var scalarString: String? {
        if case .scalar(let s) = node { return s.string }
        return nil
    }

    func string() throws -> String {
        guard let s = scalarString, !s.isEmpty else { throw error("expected a string, found \(kindName)") }
        return s
    }

    func int() throws -> Int {
        guard let s = scalarString, let v = Int(s) else { throw error("expected an integer, found \(kindName)") }
        return v
    }

    func double() throws -> Double {
        guard let s = scalarString, let v = Double(s), v.isFinite else {
            throw error("expected a number, found \(kindName)")
        }
        return v
    }

    func bool() throws -> Bool {
        switch scalarString?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false, found \(kindName)")
        }
    }

    /// An integer, or `none` / `null` for no limit.
    func optionalInt() throws -> Int? {
        if let s = scalarString?.lowercased(), ["none", "null", "~", ""].contains(s) { return nil }
        return try int()
    }

    /// One of `choices`.
    func choice(_ choices: [String]) throws -> String {
        let s = try string()
        guard choices.contains(s) else {
            var message = "expected one of \(choices.joined(separator: ", ")), found \"\(s)\""
            if let suggestion = closest(s, in: choices) { message += "; did you mean '\(suggestion)'?" }
            throw error(message)
        }
        return s
    }

    /// A scalar as a hyperparameter value: bool, int, float or string, as YAML types it.
    func hyperParameterValue() throws -> HyperParameterValueLiteral {
        guard case .scalar(let scalar) = node else { throw error("expected a value, found \(kindName)") }
        let s = scalar.string
        if scalar.style == .plain {
            switch s.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: break
            }
            if let i = Int(s) { return .int(i) }
            if let d = Double(s), d.isFinite { return .float(d) }
        }
        return .string(s)
    }
}

/// A literal value from a study file.
enum HyperParameterValueLiteral: Equatable {
    case int(Int), float(Double), string(String), bool(Bool)
}

extension YAMLField {
    /// The node as canonical JSON (keys sorted, scalars as their text), to compare what a file
    /// says across sessions: two files that say the same thing give the same text.
    var canonicalJSON: String {
        func value(_ node: Node) -> Any {
            switch node {
            case .scalar(let scalar): return scalar.string
            case .mapping(let mapping):
                var object: [String: Any] = [:]
                for (key, child) in mapping { object[key.string ?? "\(key)"] = value(child) }
                return object
            case .sequence(let sequence): return sequence.map(value)
            case .alias(let alias): return "*\(alias.anchor)"
            }
        }
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: value(node), options: [.sortedKeys, .fragmentsAllowed])
        else {
            return ""
        }
        return String(decoding: data, as: UTF8.self)
    }
}
