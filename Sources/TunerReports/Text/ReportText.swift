/// Makes user strings (error messages, traces, names) safe for a report, the same way for
/// JUnit XML and HTML: ANSI escape sequences removed, every character outside XML 1.0's
/// `Char` production shown as a visible `\u{…}` escape, and lengths capped.
///
/// ```swift
/// ReportText.sanitize("\u{1B}[31mred\u{1B}[0m\u{0}")   // "red\u{0}" with the NUL shown as text
/// ReportText.message("line one\nline two")           // "line one"
/// ```
public enum ReportText {
    /// The longest `message` attribute, in UTF-8 bytes (its first line only).
    public static let messageLimit = 1024
    /// The longest element text, in UTF-8 bytes; longer text keeps its head and tail.
    public static let textLimit = 64 * 1024

    /// Removes ANSI escape sequences and escapes every scalar XML 1.0 cannot carry.
    public static func sanitize(_ text: String) -> String {
        // Printable ASCII, tabs and line ends need nothing: most text is that, and is kept as is.
        if text.utf8.allSatisfy({ (0x20...0x7E).contains($0) || $0 == 0x9 || $0 == 0xA || $0 == 0xD }) {
            return text
        }
        var result = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let scalar = pending ?? scalars.next() {
            pending = nil
            if scalar == "\u{1B}" {
                // ESC [ parameters… final byte (CSI), ESC ] … BEL/ESC \ (OSC), or ESC + one byte.
                guard let next = scalars.next() else { break }
                if next == "[" {
                    while let c = scalars.next() {
                        if (0x40...0x7E).contains(c.value) { break }
                    }
                } else if next == "]" {
                    while let c = scalars.next() {
                        if c == "\u{7}" { break }
                        if c == "\u{1B}" { _ = scalars.next(); break }
                    }
                }
                continue
            }
            if isXMLChar(scalar) && !isInvisibleFormat(scalar) {
                result.append(scalar)
            } else {
                result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            }
        }
        return String(result)
    }

    /// Whether the scalar is an invisible format or separator character — bidirectional
    /// overrides and isolates (U+202E), zero-width characters, the byte-order mark, line and
    /// paragraph separators: text that would reorder or hide what a report shows, so it is
    /// shown as an escape like a control character.
    public static func isInvisibleFormat(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .format, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }

    /// Whether XML 1.0 allows the scalar: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000 up.
    public static func isXMLChar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    /// A `message` attribute: sanitized, its first line only, at most ``messageLimit`` bytes.
    public static func message(_ text: String) -> String {
        let clean = sanitize(text)
        let firstLine =
            clean.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return prefix(firstLine.trimmingTrailingCarriageReturn, bytes: messageLimit, marker: "…")
    }

    /// Element text: sanitized, at most ``textLimit`` bytes, keeping the head and the tail
    /// around a `...[truncated N bytes]...` marker.
    public static func text(_ text: String, limit: Int = textLimit) -> String {
        let bytes = text.utf8.count
        guard bytes > limit else {
            let clean = sanitize(text)
            return clean.utf8.count > limit ? self.text(clean, limit: limit) : clean
        }
        // Cut first (a trace can be megabytes), then sanitize the two ends; escapes may grow
        // them a little, so they are cut again to their share.
        let half = limit / 2 - 64
        let head = prefix(sanitize(prefix(text, bytes: half, marker: "")), bytes: half, marker: "")
        let tail = suffix(sanitize(suffix(text, bytes: half)), bytes: half)
        let dropped = max(0, bytes - half * 2)
        return head + "\n...[truncated \(dropped) bytes]...\n" + tail
    }

    /// The longest prefix of whole characters within `bytes` UTF-8 bytes, with `marker`
    /// appended when something was cut.
    static func prefix(_ text: String, bytes: Int, marker: String) -> String {
        guard text.utf8.count > bytes else { return text }
        var count = 0
        var end = text.startIndex
        for index in text.indices {
            let size = text[index].utf8.count
            if count + size > bytes - marker.utf8.count { break }
            count += size
            end = text.index(after: index)
        }
        return String(text[..<end]) + marker
    }

    /// The longest suffix of whole characters within `bytes` UTF-8 bytes.
    static func suffix(_ text: String, bytes: Int) -> String {
        var count = 0
        var start = text.endIndex
        for index in text.indices.reversed() {
            let size = text[index].utf8.count
            if count + size > bytes { break }
            count += size
            start = index
        }
        return String(text[start...])
    }
}

extension String {
    var trimmingTrailingCarriageReturn: String { hasSuffix("\r") ? String(dropLast()) : self }
}
