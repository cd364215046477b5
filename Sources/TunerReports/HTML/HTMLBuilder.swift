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
        appendEscaped(text, to: &result, attribute: false)
        return result
    }

    /// Escapes an attribute value (to be written between double quotes).
    public static func escapeAttribute(_ text: String) -> String {
        var result = ""
        appendEscaped(text, to: &result, attribute: true)
        return result
    }

    /// Appends `text`, sanitized and escaped, to `output`: runs of bytes that need no escape
    /// are copied whole. Every byte escaped is ASCII, so a run never splits a character.
    static func appendEscaped(_ text: String, to output: inout String, attribute: Bool) {
        let clean = ReportText.sanitize(text)
        let utf8 = clean.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            let replacement: String?
            switch utf8[index] {
            case UInt8(ascii: "&"): replacement = "&amp;"
            case UInt8(ascii: "<"): replacement = "&lt;"
            case UInt8(ascii: ">"): replacement = "&gt;"
            case UInt8(ascii: "\""): replacement = attribute ? "&quot;" : nil
            case UInt8(ascii: "'"): replacement = attribute ? "&#39;" : nil
            case UInt8(ascii: "\n"): replacement = attribute ? "&#10;" : nil
            default: replacement = nil
            }
            let next = utf8.index(after: index)
            if let replacement {
                output += clean[start..<index]
                output += replacement
                start = next
            }
            index = next
        }
        if start == utf8.startIndex {
            output += clean
        } else {
            output += clean[start...]
        }
    }

    /// Opens an element; attribute names are the project's own, never user strings.
    public mutating func open(_ tag: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        output += "<" + tag
        for (name, value) in attributes { attribute(name, value) }
        output += ">"
    }

    /// Writes ` name="value"`, the value escaped.
    private mutating func attribute(_ name: String, _ value: String) {
        output += " "
        output += name
        output += "=\""
        Self.appendEscaped(value, to: &output, attribute: true)
        output += "\""
    }

    /// Closes an element.
    public mutating func close(_ tag: String) {
        output += "</"
        output += tag
        output += ">"
    }

    /// Writes an empty element, self-closed (`<rect … />`).
    public mutating func empty(_ tag: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        output += "<" + tag
        for (name, value) in attributes { attribute(name, value) }
        output += "/>"
    }

    /// Writes escaped text.
    public mutating func text(_ text: String) { Self.appendEscaped(text, to: &output, attribute: false) }

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
