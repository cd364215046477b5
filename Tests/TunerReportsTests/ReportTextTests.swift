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
