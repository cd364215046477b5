/// A study file that cannot be used, with the line, column and field of the problem.
///
/// ```swift
/// // Fixtures/studies/bad.yaml:7:5: search_space[1].min: expected a number, found "ten"
/// ```
public struct StudyFileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The study file.
    public var path: String
    /// The 1-based line, when known.
    public var line: Int?
    /// The 1-based column, when known.
    public var column: Int?
    /// The field, as a path (`trial.model.layers[0].units`).
    public var field: String?
    /// What is wrong and, where it helps, what to do.
    public var message: String

    /// Makes an error.
    public init(path: String, line: Int? = nil, column: Int? = nil, field: String? = nil, _ message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    /// `path:line:column: field: message`.
    public var description: String {
        var place = path
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        return "\(place): " + (field.map { "\($0): " } ?? "") + message
    }
}

/// The closest of `candidates` to `word` (edit distance at most 3), for "did you mean".
func closest(_ word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    let scored = candidates.map { ($0, distance(Array(word.lowercased()), Array($0.lowercased()))) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, min(3, word.count / 2)) else { return nil }
    return best.0
}
