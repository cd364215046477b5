@testable import TunerReports
import XCTest

/// The sanitizer every report string goes through.
final class ReportTextTests: XCTestCase {
    func testControlCharactersBecomeVisibleEscapesAndANSIIsRemoved() {
        XCTAssertEqual(ReportText.sanitize("a\u{0}b\u{7}c\td\ne"), "a\\u{0}b\\u{7}c\td\ne")
        XCTAssertEqual(ReportText.sanitize("\u{1B}[1;31mred\u{1B}[0m plain"), "red plain")
        XCTAssertEqual(ReportText.sanitize("\u{1B}]0;title\u{7}after"), "after")
        XCTAssertEqual(ReportText.sanitize("x\u{FFFE}y\u{FFFF}"), "x\\u{FFFE}y\\u{FFFF}")
        // Bidirectional overrides and other invisible format characters are shown, not obeyed.
        XCTAssertEqual(ReportText.sanitize("bidi \u{202E}kept\u{202C} 🎛"), "bidi \\u{202E}kept\\u{202C} 🎛")
        XCTAssertEqual(
            ReportText.sanitize("zero\u{200B}width\u{FEFF}\u{2066}iso\u{2069}\u{2028}"),
            "zero\\u{200B}width\\u{FEFF}\\u{2066}iso\\u{2069}\\u{2028}")
    }

    func testMessagesKeepTheirFirstLineWithinOneKiB() {
        XCTAssertEqual(ReportText.message("first\nsecond"), "first")
        let long = ReportText.message(String(repeating: "é", count: 2000))
        XCTAssertLessThanOrEqual(long.utf8.count, ReportText.messageLimit)
        XCTAssert(long.hasSuffix("…"))
    }

    func testLongTextKeepsHeadAndTail() {
        let text = "HEAD" + String(repeating: "x", count: 200_000) + "TAIL"
        let cut = ReportText.text(text)
        XCTAssert(cut.hasPrefix("HEAD"))
        XCTAssert(cut.hasSuffix("TAIL"))
        XCTAssert(cut.contains("...[truncated "))
        XCTAssertLessThanOrEqual(cut.utf8.count, ReportText.textLimit + 100)
        XCTAssertEqual(ReportText.text("short"), "short")
    }
}

/// The escaping the HTML report does on UTF-8 bytes gives what escaping one scalar at a time
/// gives, for any string.
final class HTMLEscapingTests: XCTestCase {
    /// Escaping one Unicode scalar at a time: the reference.
    static func reference(_ text: String, attribute: Bool) -> String {
        var result = ""
        for c in ReportText.sanitize(text).unicodeScalars {
            switch c {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"" where attribute: result += "&quot;"
            case "'" where attribute: result += "&#39;"
            case "\n" where attribute: result += "&#10;"
            default: result.unicodeScalars.append(c)
            }
        }
        return result
    }

    func testByteEscapingEqualsScalarEscapingOnRandomStrings() {
        let pieces: [String] = [
            "a", "Z", " ", "&", "<", ">", "\"", "'", "\n", "\t", "\r", "\u{0}", "\u{1B}[31m", "\u{7F}", "é",
            "🎛", "\u{202E}", "\u{FEFF}", "\u{FFFE}", "&amp;", "<script>", "\u{1B}]0;x\u{7}", "日本",
        ]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let text = (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }
                .joined()
            XCTAssertEqual(HTMLBuilder.escapeText(text), Self.reference(text, attribute: false), text.debugDescription)
            XCTAssertEqual(
                HTMLBuilder.escapeAttribute(text), Self.reference(text, attribute: true), text.debugDescription)
        }
    }

    func testPlainASCIIIsKeptAsIs() {
        let text = "val_loss 0.25\tafter 3 attempts\r\n"
        XCTAssertEqual(ReportText.sanitize(text), text)
        XCTAssertEqual(HTMLBuilder.escapeText(text), text)
    }

    func testSVGNumbersAreWhatPrintfWrites() {
        var rng = SystemRandomNumberGenerator()
        let values = [0, -0.0, 0.05, -0.05, 0.04999, 12.25, -12.35, 999.95, 1e6 + 0.15]
            + (0..<5000).map { _ in Double.random(in: -5000...5000, using: &rng) }
        for value in values {
            let rounded = (value * 10).rounded() / 10
            let printf = rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
            XCTAssertEqual(svgNumber(value), printf, "\(value)")
        }
    }
}
