import TunerRandom
@testable import TunerTrainer
import XCTest

/// Backpropagation against central finite differences, for every activation, loss and
/// dropout, parameter by parameter.
final class GradientTests: XCTestCase {
    /// The batch's mean loss with the current weights, and the dropout masks drawn from `seed`.
    func meanLoss(_ model: Sequential, _ x: Matrix, _ y: Matrix, loss: Loss, seed: UInt64) -> Double {
        let work = Workspace(model: model, batch: x.rows)
        var rng = SplitMix64(seed: seed)
        return x.withUnsafePointer { xp in
            y.withUnsafePointer { yp in
                let out = withUnsafeMutablePointer(to: &rng) {
                    model.forward(xp, rows: x.rows, work: work, training: true, rng: $0)
                }
                return loss.sum(out, yp, rows: x.rows, columns: model.outputSize) / Double(x.rows)
            }
        }
    }

    func check(
        _ layers: [any Layer], loss: Loss, targets: (Int) -> Matrix, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let model = try Sequential(layers, seed: 5)
        let rows = 6
        let x = Matrix.random(rows: rows, columns: model.inputSize, seed: 11).standardized(
            mean: [Float](repeating: 0.5, count: model.inputSize),
            std: [Float](repeating: 0.5, count: model.inputSize))
        let y = targets(model.outputSize)
        // Non-zero biases (never exactly at a ReLU kink) so that every path is exercised.
        for layer in model.dense { for j in 0..<layer.units { layer.b.pointer[j] = Float(j % 3) * 0.1 - 0.05 } }
        let work = Workspace(model: model, batch: rows)
        var rng = SplitMix64(seed: 99)
        _ = x.withUnsafePointer { xp in
            y.withUnsafePointer { yp in
                model.backpropagate(xp, yp, rows: rows, work: work, loss: loss, rng: &rng)
            }
        }
        let h: Float = 1e-3
        for (index, layer) in model.dense.enumerated() {
            for (name, params, grads, count) in [
                ("W", layer.w, layer.dw, layer.inputs * layer.units), ("b", layer.b, layer.db, layer.units),
            ] {
                for i in stride(from: 0, to: count, by: max(1, count / 12)) {
                    let saved = params.pointer[i]
                    params.pointer[i] = saved + h
                    let plus = meanLoss(model, x, y, loss: loss, seed: 99)
                    params.pointer[i] = saved - h
                    let minus = meanLoss(model, x, y, loss: loss, seed: 99)
                    params.pointer[i] = saved
                    let numeric = (plus - minus) / Double(2 * h)
                    let analytic = Double(grads.pointer[i])
                    XCTAssertEqual(
                        analytic, numeric, accuracy: 2e-3 + 2e-2 * abs(numeric),
                        "\(loss) \(model.dense.map(\.activation)) layer \(index) \(name)[\(i)]", file: file, line: line)
                }
            }
        }
    }

    func regressionTargets(_ outputs: Int) -> Matrix { Matrix.random(rows: 6, columns: outputs, seed: 3) }

    func oneHot(_ outputs: Int) -> Matrix {
        var y = Matrix(rows: 6, columns: outputs)
        for r in 0..<6 { y[r, r % outputs] = 1 }
        return y
    }

    func testEveryActivationWithMeanSquaredError() throws {
        for activation in Activation.allCases {
            try check(
                [Dense(5, activation: activation, inputSize: 4), Dense(3, activation: activation)],
                loss: .meanSquaredError, targets: regressionTargets)
        }
    }

    func testMeanAbsoluteError() throws {
        try check(
            [Dense(5, activation: .tanh, inputSize: 4), Dense(2)], loss: .meanAbsoluteError, targets: regressionTargets)
    }

    func testBinaryCrossentropyWithAndWithoutSigmoid() throws {
        let binary: (Int) -> Matrix = { outputs in
            var y = Matrix(rows: 6, columns: outputs)
            for r in 0..<6 { for c in 0..<outputs { y[r, c] = Float((r + c) % 2) } }
            return y
        }
        try check(
            [Dense(5, activation: .relu, inputSize: 4), Dense(2, activation: .sigmoid)], loss: .binaryCrossentropy,
            targets: binary)
        try check(
            [
                Dense(5, activation: .sigmoid, inputSize: 4), Dense(1, activation: .sigmoid),
                Dense(1, activation: .sigmoid),
            ],
            loss: .binaryCrossentropy, targets: binary)
    }

    func testCategoricalCrossentropyWithSoftmaxAndOtherwise() throws {
        try check(
            [Dense(5, activation: .tanh, inputSize: 4), Dense(3, activation: .softmax)], loss: .categoricalCrossentropy,
            targets: oneHot)
        try check(
            [Dense(5, activation: .tanh, inputSize: 4), Dense(3, activation: .sigmoid)], loss: .categoricalCrossentropy,
            targets: oneHot)
    }

    func testSparseCategoricalCrossentropy() throws {
        let labels: (Int) -> Matrix = { outputs in
            var y = Matrix(rows: 6, columns: 1)
            for r in 0..<6 { y[r, 0] = Float(r % outputs) }
            return y
        }
        try check(
            [Dense(5, activation: .relu, inputSize: 4), Dense(3, activation: .softmax)],
            loss: .sparseCategoricalCrossentropy, targets: labels)
    }

    func testDropoutOnInputsAndHiddenLayers() throws {
        try check(
            [Dropout(0.25), Dense(6, activation: .tanh, inputSize: 4), Dropout(0.5), Dense(2)],
            loss: .meanSquaredError, targets: regressionTargets)
    }

    func testLinearLayerWithoutBias() throws {
        try check(
            [Dense(3, inputSize: 4, useBias: false), Dense(2, activation: .sigmoid)], loss: .meanSquaredError,
            targets: regressionTargets)
    }
}
