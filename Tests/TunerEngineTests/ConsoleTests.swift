import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerTestSupport
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

    /// Reports' and locks' timestamps, written without ICU, are what Foundation's formatter writes.
    func testTimestampsAreFoundationsISO8601() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        var generator = SystemRandomNumberGenerator()
        // Leap days, the ends of years, centuries and 400-year cycles, and instants at random
        // from the Gregorian calendar's adoption to 9999.
        let chosen: [Double] = [
            0, -1, 59, 86_399.999, 951_782_400, 951_868_799, 4_107_542_399, 4_107_542_400, 1_798_761_599,
            -12_219_292_800, 253_402_300_799,
        ]
        let gregorian = -12_219_292_800.0...253_402_300_799.0
        let instants = chosen + (0..<2000).map { _ in Double.random(in: gregorian, using: &generator) }
        for instant in instants {
            let expected = formatter.string(from: Date(timeIntervalSince1970: instant.rounded(.down)))
            XCTAssertEqual(formatTimestamp(instant), expected, "at \(instant)")
        }
        XCTAssertEqual(formatTimestamp(1e300), "9999-12-31T23:59:59Z", "clamped, not a crash")
        XCTAssertEqual(formatTimestamp(-.infinity), "0001-01-01T00:00:00Z")
        XCTAssertEqual(formatTimestamp(.nan), "1970-01-01T00:00:00Z")
    }
}

/// SEMANTICS section 7: the whole conditional space is discovered before the first trial,
/// in KerasTuner's registration order (E-32).
final class SpaceDiscoveryTests: XCTestCase {
    struct Toy: FittableModel {
        func fit(
            x: [Double], y: [Double], validationData: ([Double], [Double])?, epochs: Int,
            context: TrialContext
        ) throws -> TrialResult { TrialResult(metrics: ["val_loss": 1]) }
    }

    func testAConditionalSpaceKeepsRegistrationOrderAndKerasTunersGrid() throws {
        let directory = TemporaryDirectory()
        let build: (HyperParameters) throws -> Toy = { hp in
            try hp.choice("model", ["cnn", "mlp"])
            try hp.conditionalScope("model", ["mlp"]) { try hp.int("units", min: 1, max: 2) }
            try hp.conditionalScope("model", ["cnn"]) { try hp.choice("filters", ["f1", "f2"]) }
            try hp.boolean("drop")
            return Toy()
        }
        let tuner = try GridSearch(
            hypermodel: build, objective: "val_loss",
            configuration: TunerConfiguration(directory: directory.path, projectName: "e32", verbose: 0),
            output: CapturedOutput())
        tuner.handlesSignals = false
        XCTAssertEqual(
            tuner.space.names, ["model", "units", "filters", "drop"], "registration order, as if every scope ran")
        try tuner.search(x: [], y: [])
        let rows = try tuner.journal.trials().map { trial -> String in
            let v = try trial.values()
            return ["model", "units", "filters", "drop"].compactMap { v[$0].map { "\($0)" } }.joined(separator: ",")
        }
        XCTAssertEqual(
            rows,
            [
                "cnn,f1,False", "cnn,f1,True", "cnn,f2,False", "cnn,f2,True",
                "mlp,1,False", "mlp,1,True", "mlp,2,False", "mlp,2,True",
            ])
    }
}

extension SpaceDiscoveryTests {
    /// KerasTuner's `test_hp_in_fit`: a hyperparameter first defined while a trial runs joins
    /// the space, is journaled, and is searched: 3 trials for a 3-value choice.
    func testAHyperparameterDefinedDuringATrialJoinsTheSpaceAndIsSearched() throws {
        let directory = TemporaryDirectory()
        func tuner() throws -> Tuner {
            let tuner = try Tuner(
                oracle: GridSearchOracle(), objective: "val_loss",
                configuration: TunerConfiguration(directory: directory.path, projectName: "fit", verbose: 0),
                output: CapturedOutput())
            tuner.handlesSignals = false
            return tuner
        }
        var seen: [Int] = []
        let first = try tuner()
        try first.search { context in
            let a = try context.hyperparameters.choice("a", [1, 2, 3])
            seen.append(a)
            return TrialResult(metrics: ["val_loss": 1])
        }
        XCTAssertEqual(seen, [1, 2, 3])
        XCTAssertEqual(
            try first.journal.trials().map { try $0.values()["a"] }, [.int(1), .int(2), .int(3)],
            "what ran is journaled")
        XCTAssertEqual(first.space.names, ["a"])
        XCTAssertEqual(try first.journal.study().searchSpace().names, ["a"], "journaled as a space extension")
        _ = consume first
        // The study resumes with its extended space and has nothing left to run.
        let resumed = try tuner()
        XCTAssertEqual(resumed.space.names, ["a"])
        XCTAssertEqual(try resumed.search { _ in TrialResult(metrics: ["val_loss": 1]) }.stopReason, .completed)
        XCTAssertEqual(try resumed.journal.trials().count, 3)
    }
}
