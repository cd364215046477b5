import Foundation
import TunerRandom
@testable import TunerTrainer
import XCTest

/// Keras compatibility: parameter counts, initialization, one Adam step by hand, training.
final class TrainingTests: XCTestCase {
    func guideModel(_ units1: Int, _ units2: Int) throws -> Sequential {
        try Sequential([Dense(units1, inputSize: 20), Dense(units2), Dense(1)])
    }

    func testParameterCountsEqualKerasForTheGuidesTwelveModels() throws {
        // Keras' count_params() for Dense(u1, input_shape=(20,)), Dense(u2), Dense(1).
        let expected: [[Int]: Int] = [
            [10, 10]: 331, [10, 20]: 451, [10, 30]: 571, [20, 10]: 641, [20, 20]: 861, [20, 30]: 1081,
            [30, 10]: 951, [30, 20]: 1271, [30, 30]: 1591, [40, 10]: 1261, [40, 20]: 1681, [40, 30]: 2101,
        ]
        for (units, count) in expected {
            XCTAssertEqual(try guideModel(units[0], units[1]).parameterCount, count, "\(units)")
        }
    }

    func testGlorotUniformWeightsAndZeroBiases() throws {
        let model = try Sequential([Dense(64, inputSize: 20), Dense(32)], seed: 3)
        let limit = Float((6.0 / Double(20 + 64)).squareRoot())
        let (w, b) = model.weights[0]
        XCTAssert(w.allSatisfy { abs($0) <= limit })
        XCTAssertGreaterThan(w.map(abs).max()!, limit * 0.95, "the range is used")
        XCTAssert(b.allSatisfy { $0 == 0 })
        let again = try Sequential([Dense(64, inputSize: 20), Dense(32)], seed: 3)
        XCTAssertEqual(again.weights[0].w, w, "same seed, same bits")
    }

    func testOneAdamStepMatchesHandComputedNumbers() throws {
        // ŷ = 1·0.5 + 2·(−0.5) + 0 = −0.5; dL/dŷ = 2(ŷ − 1) = −3; g_w = (−3, −6), g_b = −3.
        // Adam, step 1 (Keras): m = 0.1g, v = 0.001g², α = 1e-3·√0.001/0.1,
        // Δ = −α·m/(√v + 1e-7) = 0.00099999895 for every parameter here.
        let model = try Sequential([Dense(1, inputSize: 2)])
        try model.setWeights([(w: [0.5, -0.5], b: [0])])
        model.compile(optimizer: .adam(), loss: .meanSquaredError)
        let history = try model.fit(
            x: try Matrix([[1, 2]] as [[Float]]), y: try Matrix([[1]] as [[Float]]), epochs: 1, shuffle: false)
        XCTAssertEqual(history["loss"].first ?? 0, 2.25, accuracy: 1e-6)
        let (w, b) = model.weights[0]
        XCTAssertEqual(w[0], 0.50099999895, accuracy: 1e-7)
        XCTAssertEqual(w[1], -0.49900000105, accuracy: 1e-7)
        XCTAssertEqual(b[0], 0.00099999895, accuracy: 1e-7)
    }

    func testSGDWithMomentumFollowsKeras() throws {
        let model = try Sequential([Dense(1, inputSize: 1, useBias: false)])
        try model.setWeights([(w: [1], b: [0])])
        model.compile(optimizer: .sgd(learningRate: 0.1, momentum: 0.9), loss: .meanSquaredError)
        let x = try Matrix([[1]] as [[Float]]), y = try Matrix([[0]] as [[Float]])
        // g = 2w. Step 1: v = −0.1·2 = −0.2, w = 0.8. Step 2: v = 0.9·(−0.2) − 0.1·1.6 = −0.34, w = 0.46.
        try model.fit(x: x, y: y, epochs: 2, shuffle: false)
        XCTAssertEqual(model.weights[0].w[0], 0.46, accuracy: 1e-6)
    }

    func testFitIsDeterministicForASeed() throws {
        let x = Matrix.random(rows: 100, columns: 20, seed: 1), y = Matrix.random(rows: 100, columns: 1, seed: 2)
        func run() throws -> History {
            let model = try Sequential([
                Dense(64, activation: .relu, inputSize: 20), Dropout(0.2), Dense(32, activation: .relu), Dense(1),
            ])
            model.compile(optimizer: .adam(), loss: .meanSquaredError, metrics: [.meanAbsoluteError])
            return try model.fit(x: x, y: y, epochs: 5, validationSplit: 0.2, seed: 42)
        }
        let a = try run(), b = try run()
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.metricNames, ["loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"])
        XCTAssertEqual(a.epochs.count, 5)
    }

    func testEarlyStoppingRestoresTheBestWeights() throws {
        let x = Matrix.random(rows: 64, columns: 4, seed: 1), y = Matrix.random(rows: 64, columns: 1, seed: 2)
        let model = try Sequential([Dense(32, activation: .relu, inputSize: 4), Dense(1)])
        model.compile(optimizer: .adam(learningRate: 0.5), loss: .meanSquaredError)
        let stopping = EarlyStopping(monitor: "val_loss", patience: 1, restoreBestWeights: true)
        let history = try model.fit(
            x: x, y: y, batchSize: 64, epochs: 50, validationData: (x, y), shuffle: false,
            earlyStopping: stopping, seed: 1)
        let stopped = try XCTUnwrap(history.stoppedEpoch)
        XCTAssertLessThan(stopped, 49)
        let best = history["val_loss"].min()!
        XCTAssertLessThan(best, history["val_loss"].last!, "it stopped after worse epochs")
        XCTAssertEqual(try model.evaluate(x: x, y: y)["loss"]!, best, accuracy: 1e-5)
    }

    func testTerminateOnNaNStopsAtTheFirstNaNLoss() throws {
        let x = Matrix.random(rows: 32, columns: 2, seed: 1)
        var y = Matrix(rows: 32, columns: 1)
        y[0, 0] = .greatestFiniteMagnitude
        let model = try Sequential([Dense(1, inputSize: 2)])
        model.compile(optimizer: .sgd(learningRate: 1e30), loss: .meanSquaredError)
        let history = try model.fit(x: x, y: y, epochs: 10, seed: 1)
        XCTAssert(history.terminatedOnNaN)
        XCTAssertLessThan(history.epochs.count, 10)
    }

    func testUsageErrors() throws {
        XCTAssertThrowsError(try Sequential([Dense(3)])) { XCTAssert("\($0)".contains("inputSize")) }
        XCTAssertThrowsError(try Sequential([Dense(0, inputSize: 2)]))
        XCTAssertThrowsError(try Sequential([Dense(2, inputSize: 2), Dropout(1)]))
        let model = try Sequential([Dense(1, inputSize: 2)])
        let x = Matrix.random(rows: 4, columns: 3, seed: 1), y = Matrix.random(rows: 4, columns: 1, seed: 1)
        XCTAssertThrowsError(try model.fit(x: x, y: y)) { XCTAssert("\($0)".contains("compile")) }
        model.compile(loss: .meanSquaredError)
        XCTAssertThrowsError(try model.fit(x: x, y: y)) { XCTAssert("\($0)".contains("2 input columns")) }
        XCTAssertThrowsError(try model.fit(x: Matrix.random(rows: 4, columns: 2, seed: 1), y: y, batchSize: 0))
    }

    func testGuideTrialSpeedInThisBuild() throws {
        // Not a benchmark (see TunerBenchmarks): a guard that debug builds stay usable for tests.
        let x = Matrix.random(rows: 100, columns: 20, seed: 1), y = Matrix.random(rows: 100, columns: 1, seed: 2)
        let start = Date()
        for seed in 0..<20 {
            let model = try Sequential([Dense(64, inputSize: 20), Dense(32), Dense(1)])
            model.compile(optimizer: .adam(), loss: .meanSquaredError)
            try model.fit(x: x, y: y, epochs: 10, validationData: (x, y), seed: UInt64(seed))
        }
        let perTrial = Date().timeIntervalSince(start) / 20
        print("guide trial (64, 32), this build: \(String(format: "%.2f", perTrial * 1000)) ms")
        XCTAssertLessThan(perTrial, 2, "a small trial must stay cheap enough for hundreds in tests")
    }
}
