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

/// The closest of `candidates` to `word`, for "did you mean": a candidate the word starts with
/// (or that starts with it), else the nearest by edit distance with transpositions, within a
/// third of the word's length (at least 2).
func closest(_ word: String, in candidates: [String]) -> String? {
    let lower = word.lowercased()
    if let prefix = candidates.first(where: { lower.hasPrefix($0.lowercased()) || $0.lowercased().hasPrefix(lower) }),
        !lower.isEmpty
    {
        return prefix
    }
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
    let scored = candidates.map { ($0, distance(Array(lower), Array($0.lowercased()))) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else { return nil }
    return best.0
}
