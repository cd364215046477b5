/// Builds polyglot HTML5 (well-formed as XML) with every user string escaped for its
/// context: text escapes `& < >`, attributes are double-quoted and escape `& < > " '`. Both
/// go through ``ReportText`` first.
///
/// ```swift
/// var html = HTMLBuilder()
/// html.open("p", ["class": "note"])
/// html.text(userMessage)
/// html.close("p")
/// ```
public struct HTMLBuilder: Sendable {
    /// The markup written so far.
    public private(set) var output = ""

    /// Makes an empty builder.
    public init() {}

    /// Escapes text content.
    public static func escapeText(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for c in ReportText.sanitize(text).unicodeScalars {
            switch c {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            default: result.unicodeScalars.append(c)
            }
        }
        return result
    }

    /// Escapes an attribute value (to be written between double quotes).
    public static func escapeAttribute(_ text: String) -> String {
        var result = ""
        for c in ReportText.sanitize(text).unicodeScalars {
            switch c {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\n": result += "&#10;"
            default: result.unicodeScalars.append(c)
            }
        }
        return result
    }

    /// Opens an element; attribute names are the project's own, never user strings.
    public mutating func open(_ tag: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        output += "<" + tag
        for (name, value) in attributes { output += " \(name)=\"\(Self.escapeAttribute(value))\"" }
        output += ">"
    }

    /// Closes an element.
    public mutating func close(_ tag: String) { output += "</\(tag)>" }

    /// Writes an empty element, self-closed (`<rect … />`).
    public mutating func empty(_ tag: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        output += "<" + tag
        for (name, value) in attributes { output += " \(name)=\"\(Self.escapeAttribute(value))\"" }
        output += "/>"
    }

    /// Writes escaped text.
    public mutating func text(_ text: String) { output += Self.escapeText(text) }

    /// Writes `<tag attributes>text</tag>`.
    public mutating func element(_ tag: String, _ attributes: KeyValuePairs<String, String>, _ text: String) {
        open(tag, attributes)
        self.text(text)
        close(tag)
    }

    /// Writes `<tag>text</tag>`.
    public mutating func element(_ tag: String, _ text: String) {
        element(tag, [:], text)
    }

    /// Writes markup the project made itself (never a user string).
    public mutating func raw(_ markup: String) { output += markup }

    /// Appends another builder's markup.
    public mutating func append(_ other: HTMLBuilder) { output += other.output }
}
