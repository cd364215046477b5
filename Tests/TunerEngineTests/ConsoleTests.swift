import SwiftTuner
import XCTest

/// SEMANTICS section 8: the console's durations as KerasTuner prints them.
final class ConsoleTests: XCTestCase {
    func testDurationsRoundToTheNearestSecondAndShowDays() {
        XCTAssertEqual(formatElapsed(8.4), "00h 00m 08s")
        XCTAssertEqual(formatElapsed(8.6), "00h 00m 09s", "nearest, not truncated")
        XCTAssertEqual(formatElapsed(3599.5), "01h 00m 00s")
        XCTAssertEqual(formatElapsed(7 * 86_400), "7d 00h 00m 00s")
        XCTAssertEqual(formatElapsed(86_400 + 2 * 3600 + 61), "1d 02h 01m 01s")
        XCTAssertEqual(formatElapsed(-3), "00h 00m 00s")
        XCTAssertEqual(formatElapsed(.nan), "00h 00m 00s")
        XCTAssertFalse(formatElapsed(.infinity).isEmpty, "no crash on a value beyond any search")
        XCTAssertFalse(formatElapsed(1e300).isEmpty)
    }
}
