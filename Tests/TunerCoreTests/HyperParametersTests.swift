import TunerCore
import Foundation
import XCTest

/// SEMANTICS section 7: value sets, defaults, conditions and usage errors.
final class HyperParametersTests: XCTestCase {
    func testIntSteppedValuesAndDefault() throws {
        let hp = HyperParameters()
        XCTAssert(try hp.int("units", min: 10, max: 40, step: 10) == 10)
        XCTAssert(hp.space["units"]?.orderedValues == [.int(10), .int(20), .int(30), .int(40)])
    }

    func testLogSampledIntYieldsInts() throws {
        let hp = HyperParameters()
        try hp.int("units", min: 1, max: 1000, sampling: .log)
        var rng = SplitMix64(seed: 3)
        for _ in 0..<500 {
            guard case .int(let v) = hp.space["units"]!.sample(using: &rng) else { XCTFail("not an int"); return }
            XCTAssert((1...1000).contains(v))
        }
        let stepped = try HyperParameterDefinition(name: "u", kind: .int(min: 2, max: 64, step: 2, sampling: .log))
        XCTAssert(stepped.orderedValues == [2, 4, 8, 16, 32, 64].map { .int($0) })
    }

    func testSteppedFloatIncludesItsMaximum() throws {
        let d = try HyperParameterDefinition(
            name: "dropout", kind: .float(min: 0, max: 1, step: 0.2, sampling: .linear))
        XCTAssert(d.orderedValues == [0, 0.2, 0.4, 0.6, 0.8, 1.0].map { .float($0) })
    }

    /// Section 7: a range without a step lists KerasTuner's ten quantiles, 0.05 … 0.95 of
    /// the range in its sampling's scale, ascending; the grid puts the default first.
    func testUnsteppedFloatListsTheTenQuantilesInItsScale() throws {
        let d = try HyperParameterDefinition(name: "lr", kind: .float(min: 1e-4, max: 1e-1, step: nil, sampling: .log))
        let values = d.orderedValues.compactMap(\.doubleValue)
        XCTAssert(values.count == 10)
        XCTAssert(abs(values[0] - 1e-4 * pow(1000, 0.05)) <= 1e-15)
        XCTAssert(abs(values[9] - 1e-4 * pow(1000, 0.95)) <= 1e-12)
        XCTAssert(values == values.sorted())
        XCTAssert(d.gridValues.first == .float(1e-4) && d.gridValues.count == 11)
        let linear = try HyperParameterDefinition(name: "f", kind: .float(min: 1, max: 2, step: nil, sampling: .linear))
        XCTAssert(
            linear.orderedValues.compactMap(\.doubleValue).map { ($0 * 1e9).rounded() / 1e9 }
                == [1.05, 1.15, 1.25, 1.35, 1.45, 1.55, 1.65, 1.75, 1.85, 1.95])
    }

    func testLogIntWithoutAStepHasTenValuesNotTheWholeRange() throws {
        let d = try HyperParameterDefinition(name: "n", kind: .int(min: 1, max: 1000, step: nil, sampling: .log))
        XCTAssert(d.orderedValues == [1, 2, 5, 11, 22, 44, 89, 177, 355, 708].map { .int($0) })
        XCTAssert(d.gridValues.count == 10, "the default, 1, is one of them")
    }

    func testReverseLogWithAStepGivesKerasTunersValues() throws {
        let d = try HyperParameterDefinition(name: "u", kind: .int(min: 2, max: 32, step: 2, sampling: .reverseLog))
        XCTAssert(d.gridValues == [2, 32, 30, 26, 18].map { .int($0) })
    }

    func testKerasTunersGridOfAnIntByAStepLessFloatHas55Trials() throws {
        let hp = HyperParameters()
        try hp.int("a", min: 1, max: 5)
        try hp.float("b", min: 1, max: 2)
        XCTAssert(hp.space.gridCount() == 55)
    }

    func testUserValuesBeyondWhatCanBeCountedAreUsageErrors() {
        let cases: [(HyperParameterDefinition.Kind, String)] = [
            (.int(min: Int.min, max: Int.max, step: nil, sampling: .linear), "wider than an integer can count"),
            (.int(min: -5, max: Int.max, step: 3, sampling: .linear), "wider than an integer can count"),
            (.float(min: -1.7e308, max: 1.7e308, step: nil, sampling: .linear), "wider than a float can hold"),
            (.float(min: 0, max: 1, step: 1e-300, sampling: .linear), "too small"),
            (.float(min: 0, max: 1e300, step: 1e-300, sampling: .linear), "too small"),
        ]
        for (kind, expected) in cases {
            XCTAssertThrowsError(try HyperParameterDefinition(name: "x", kind: kind)) { error in
                XCTAssert("\(error)".contains(expected) && "\(error)".contains("x"), "\(error)")
            }
        }
        // A log step near the largest float lists its few values and stops.
        let huge = try? HyperParameterDefinition(
            name: "h", kind: .float(min: 1, max: Double.greatestFiniteMagnitude, step: 1e300, sampling: .log))
        XCTAssert(huge?.orderedValues.count == 2)
        var rng = SplitMix64(seed: 1)
        let tiny = try? HyperParameterDefinition(name: "t", kind: .float(min: 0, max: 1, step: 1e-6, sampling: .linear))
        XCTAssert(tiny != nil)
        if let tiny {
            // A million values: drawn by index, never listed.
            XCTAssert((0..<100).allSatisfy { _ in (0...1).contains(tiny.sample(using: &rng).doubleValue ?? -1) })
        }
    }

    func testSampledFloatsStayInRangeForEverySampling() throws {
        for sampling in Sampling.allCases {
            let d = try HyperParameterDefinition(
                name: "v", kind: .float(min: 0.01, max: 10, step: nil, sampling: sampling))
            var rng = SplitMix64(seed: 9)
            for _ in 0..<1000 {
                let v = d.sample(using: &rng).doubleValue!
                XCTAssert(v >= 0.01 && v <= 10, "\(sampling): \(v)")
            }
        }
    }

    func testChoiceBooleanFixedDefaults() throws {
        let hp = HyperParameters()
        XCTAssert(try hp.choice("activation", ["relu", "tanh"]) == "relu")
        XCTAssert(try hp.choice("batch", [64, 32], default: 32) == 32)
        XCTAssert(try hp.boolean("shuffle") == false)
        XCTAssert(try hp.fixed("epochs", .int(10)) == .int(10))
        XCTAssert(hp.space["batch"]?.gridValues == [.int(32), .int(64)])
        XCTAssert(hp.space["shuffle"]?.gridValues == [.bool(false), .bool(true)])
    }

    func testInvalidDefinitionsAreUsageErrorsNamingTheHyperparameter() {
        let hp = HyperParameters()
        do { _ = try hp.int("units", min: 40, max: 10); XCTFail("did not throw") } catch {
            XCTAssert((error as? HyperParameterError)?.name == "units")
            XCTAssert("\(error)".contains("'units'"))
        }
        do { _ = try hp.float("lr", min: 0, max: 1, sampling: .log); XCTFail("did not throw") } catch {
            XCTAssert("\(error)".contains("'lr'") && "\(error)".contains("min_value > 0"))
        }
        do { _ = try hp.choice("mixed", values: [.int(1), .string("a")]); XCTFail("did not throw") } catch {
            XCTAssert("\(error)".contains("one type"))
        }
        XCTAssertThrowsError(try { _ = try hp.int("steps", min: 0, max: 10, step: 0) }())
        XCTAssertThrowsError(try { _ = try hp.choice("empty", [String]()) }())
        XCTAssertThrowsError(try { _ = try hp.int("d", min: 0, max: 10, default: 11) }())
    }

    func testRedefinitionMustMatch() throws {
        let hp = HyperParameters()
        try hp.int("units", min: 10, max: 40, step: 10)
        XCTAssert(try hp.int("units", min: 10, max: 40, step: 10) == 10)
        do { _ = try hp.int("units", min: 10, max: 50, step: 10); XCTFail("did not throw") } catch {
            XCTAssert("\(error)".contains("defined twice with different ranges"))
        }
    }

    func testConditionalScopeRunsOnlyWhenActive() throws {
        let space: SearchSpace = try {
            let hp = HyperParameters()
            try hp.choice("model", ["mlp", "linear"])
            try hp.conditionalScope("model", ["mlp"]) { try hp.int("units", min: 8, max: 16, step: 8) }
            return hp.space
        }()
        XCTAssert(space["units"]?.conditions == [.init(parent: "model", values: [.string("mlp")])])
        let linear = HyperParameters(space: space, values: ["model": .string("linear")])
        XCTAssert(linear["units"] == nil)
        var ran = false
        try linear.conditionalScope("model", ["mlp"]) { ran = true }
        XCTAssert(!(ran))
        let mlp = HyperParameters(space: space, values: ["model": .string("mlp"), "units": .int(16)])
        XCTAssert(try mlp.conditionalScope("model", ["mlp"]) { try mlp.int("units", min: 8, max: 16, step: 8) } == 16)
    }

    func testSearchSpaceSummaryLayout() throws {
        let hp = HyperParameters()
        try hp.int("units_1", min: 10, max: 40, step: 10)
        XCTAssert(
            hp.space.summary() == """
                Search space summary
                Default search space size: 1
                units_1 (Int)
                {'default': 10, 'conditions': [], 'min_value': 10, 'max_value': 40, 'step': 10, 'sampling': 'linear'}
                """)
    }

    func testValuesRoundTripThroughJSONKeepingFloatsFloats() throws {
        let values: [String: HyperParameterValue] = ["a": .int(2), "b": .float(2), "c": .string("x"), "d": .bool(true)]
        let data = try JSONEncoder().encode(values)
        XCTAssert(try JSONDecoder().decode([String: HyperParameterValue].self, from: data) == values)
    }

    func testTrialIDsAreZeroPaddedToFourDigits() {
        XCTAssert(trialID(0) == "0000")
        XCTAssert(trialID(7) == "0007")
        XCTAssert(trialID(9999) == "9999")
        XCTAssert(trialID(10000) == "10000")
    }

    func testObjectiveDirectionInference() throws {
        XCTAssert(try Objective(inferring: "val_loss").direction == .min)
        XCTAssert(try Objective(inferring: "val_accuracy").direction == .max)
        XCTAssert(try Objective(inferring: "mean_absolute_error").direction == .min)
        XCTAssert(try Objective(inferring: "val_auc").direction == .max)
        XCTAssertThrowsError(try { _ = try Objective(inferring: "widgets") }())
        // S11a: only known names decide; a name that merely contains one needs a direction.
        for unknown in ["val_brier_score", "my_loss_ratio", "val_error_rate", "score"] {
            XCTAssertThrowsError(try { _ = try Objective(inferring: unknown) }())
        }
        XCTAssert(try Objective(inferring: "val_sparse_categorical_accuracy").direction == .max)
        XCTAssert(try Objective(inferring: "VAL_MSE").direction == .min)
        let literal: Objective = "widgets"
        XCTAssertThrowsError(try { _ = try literal.validate() }())
        XCTAssert("\(Objective("val_loss", direction: .min))" == #"Objective(name="val_loss", direction="min")"#)
    }

    func testSplitMixIsPortable() {
        var rng = SplitMix64(seed: 0)
        // Reference values of SplitMix64 from seed 0.
        XCTAssert(rng.next() == 0xE220_A839_7B1D_CDAF)
        XCTAssert(rng.next() == 0x6E78_9E6A_A1B9_65F4)
    }
}

/// The fast decoder of journaled configurations agrees with `JSONDecoder` on every kind of value.
final class ConfigurationJSONTests: XCTestCase {
    func testFastDecodingMatchesJSONDecoder() throws {
        let hostile = "quote \" backslash \\ newline \n tab \t bell \u{7} emoji 🎛 bidi \u{202E} nul \u{0}"
        var rng = SplitMix64(seed: 21)
        for round in 0..<200 {
            var values: [String: HyperParameterValue] = [
                "i": .int(rng.nextInt(below: 1000) - 500),
                "f": .float((rng.nextDouble() - 0.5) * pow(10, Double(rng.nextInt(below: 20) - 10))),
                "whole": .float(Double(rng.nextInt(below: 5))),
                "b": .bool(round % 2 == 0),
                "s": .string(hostile),
            ]
            values["k\(round) \"x\""] = .string("v\(round)")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = String(decoding: try encoder.encode(values), as: UTF8.self)
            XCTAssert(HyperParameterValue.decodeConfiguration(json) == values, "\(json)")
        }
        XCTAssert(HyperParameterValue.decodeConfiguration("{}") == [:])
        XCTAssert(HyperParameterValue.decodeConfiguration("{\"a\":1") == nil)
        XCTAssert(HyperParameterValue.decodeConfiguration("[1]") == nil)
    }
}
