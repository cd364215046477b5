import TunerCore
import XCTest

/// SEMANTICS section 7: value sets, defaults, conditions and usage errors.
final class HyperParametersTests: XCTestCase {
    func testIntSteppedValuesAndDefault() throws {
        let hp = HyperParameters()
        XCTAssertEqual(try hp.int("units", min: 10, max: 40, step: 10), 10)
        XCTAssertEqual(hp.space["units"]?.orderedValues, [.int(10), .int(20), .int(30), .int(40)])
    }

    func testLogSampledIntYieldsInts() throws {
        let hp = HyperParameters()
        try hp.int("units", min: 1, max: 1000, sampling: .log)
        var rng = SplitMix64(seed: 3)
        for _ in 0..<500 {
            guard case .int(let v) = hp.space["units"]!.sample(using: &rng) else { return XCTFail("not an int") }
            XCTAssert((1...1000).contains(v))
        }
        let stepped = try HyperParameterDefinition(name: "u", kind: .int(min: 2, max: 64, step: 2, sampling: .log))
        XCTAssertEqual(stepped.orderedValues, [2, 4, 8, 16, 32, 64].map { .int($0) })
    }

    func testSteppedFloatIncludesItsMaximum() throws {
        let d = try HyperParameterDefinition(name: "dropout", kind: .float(min: 0, max: 1, step: 0.2, sampling: .linear))
        XCTAssertEqual(d.orderedValues, [0, 0.2, 0.4, 0.6, 0.8, 1.0].map { .float($0) })
    }

    func testUnsteppedFloatGridHasTenValuesInItsScale() throws {
        let d = try HyperParameterDefinition(name: "lr", kind: .float(min: 1e-4, max: 1e-1, step: nil, sampling: .log))
        let values = d.orderedValues.compactMap(\.doubleValue)
        XCTAssertEqual(values.count, 10)
        XCTAssertEqual(values.first!, 1e-4, accuracy: 1e-12)
        XCTAssertEqual(values.last!, 1e-1, accuracy: 1e-9)
        XCTAssertEqual(values[3], 1e-3, accuracy: 1e-9)
    }

    func testSampledFloatsStayInRangeForEverySampling() throws {
        for sampling in Sampling.allCases {
            let d = try HyperParameterDefinition(name: "v", kind: .float(min: 0.01, max: 10, step: nil, sampling: sampling))
            var rng = SplitMix64(seed: 9)
            for _ in 0..<1000 {
                let v = d.sample(using: &rng).doubleValue!
                XCTAssert(v >= 0.01 && v <= 10, "\(sampling): \(v)")
            }
        }
    }

    func testChoiceBooleanFixedDefaults() throws {
        let hp = HyperParameters()
        XCTAssertEqual(try hp.choice("activation", ["relu", "tanh"]), "relu")
        XCTAssertEqual(try hp.choice("batch", [64, 32], default: 32), 32)
        XCTAssertEqual(try hp.boolean("shuffle"), false)
        XCTAssertEqual(try hp.fixed("epochs", .int(10)), .int(10))
        XCTAssertEqual(hp.space["batch"]?.gridValues, [.int(32), .int(64)])
        XCTAssertEqual(hp.space["shuffle"]?.gridValues, [.bool(false), .bool(true)])
    }

    func testInvalidDefinitionsAreUsageErrorsNamingTheHyperparameter() {
        let hp = HyperParameters()
        XCTAssertThrowsError(try hp.int("units", min: 40, max: 10)) { error in
            XCTAssertEqual((error as? HyperParameterError)?.name, "units")
            XCTAssert("\(error)".contains("'units'"))
        }
        XCTAssertThrowsError(try hp.float("lr", min: 0, max: 1, sampling: .log)) { error in
            XCTAssert("\(error)".contains("'lr'") && "\(error)".contains("min_value > 0"))
        }
        XCTAssertThrowsError(try hp.choice("mixed", values: [.int(1), .string("a")])) { error in
            XCTAssert("\(error)".contains("one type"))
        }
        XCTAssertThrowsError(try hp.int("steps", min: 0, max: 10, step: 0))
        XCTAssertThrowsError(try hp.choice("empty", [String]()))
        XCTAssertThrowsError(try hp.int("d", min: 0, max: 10, default: 11))
    }

    func testRedefinitionMustMatch() throws {
        let hp = HyperParameters()
        try hp.int("units", min: 10, max: 40, step: 10)
        XCTAssertEqual(try hp.int("units", min: 10, max: 40, step: 10), 10)
        XCTAssertThrowsError(try hp.int("units", min: 10, max: 50, step: 10)) { error in
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
        XCTAssertEqual(space["units"]?.conditions, [.init(parent: "model", values: [.string("mlp")])])
        let linear = HyperParameters(space: space, values: ["model": .string("linear")])
        XCTAssertNil(linear["units"])
        var ran = false
        try linear.conditionalScope("model", ["mlp"]) { ran = true }
        XCTAssertFalse(ran)
        let mlp = HyperParameters(space: space, values: ["model": .string("mlp"), "units": .int(16)])
        XCTAssertEqual(try mlp.conditionalScope("model", ["mlp"]) { try mlp.int("units", min: 8, max: 16, step: 8) }, 16)
    }

    func testSearchSpaceSummaryLayout() throws {
        let hp = HyperParameters()
        try hp.int("units_1", min: 10, max: 40, step: 10)
        XCTAssertEqual(hp.space.summary(), """
            Search space summary
            Default search space size: 1
            units_1 (Int)
            {'default': 10, 'conditions': [], 'min_value': 10, 'max_value': 40, 'step': 10, 'sampling': 'linear'}
            """)
    }

    func testValuesRoundTripThroughJSONKeepingFloatsFloats() throws {
        let values: [String: HyperParameterValue] = ["a": .int(2), "b": .float(2), "c": .string("x"), "d": .bool(true)]
        let data = try JSONEncoder().encode(values)
        XCTAssertEqual(try JSONDecoder().decode([String: HyperParameterValue].self, from: data), values)
    }

    func testTrialIDsAreZeroPaddedToFourDigits() {
        XCTAssertEqual(trialID(0), "0000")
        XCTAssertEqual(trialID(7), "0007")
        XCTAssertEqual(trialID(9999), "9999")
        XCTAssertEqual(trialID(10000), "10000")
    }

    func testObjectiveDirectionInference() throws {
        XCTAssertEqual(try Objective(inferring: "val_loss").direction, .min)
        XCTAssertEqual(try Objective(inferring: "val_accuracy").direction, .max)
        XCTAssertEqual(try Objective(inferring: "mean_absolute_error").direction, .min)
        XCTAssertEqual(try Objective(inferring: "val_auc").direction, .max)
        XCTAssertThrowsError(try Objective(inferring: "widgets"))
        let literal: Objective = "widgets"
        XCTAssertThrowsError(try literal.validate())
        XCTAssertEqual("\(Objective("val_loss", direction: .min))", #"Objective(name="val_loss", direction="min")"#)
    }

    func testSplitMixIsPortable() {
        var rng = SplitMix64(seed: 0)
        // Reference values of SplitMix64 from seed 0.
        XCTAssertEqual(rng.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(rng.next(), 0x6E78_9E6A_A1B9_65F4)
    }
}
