import Foundation

/// A loss function, as Keras computes it (mean over the batch).
///
/// ```swift
/// model.compile(optimizer: .adam(), loss: .meanSquaredError)
/// ```
public enum Loss: String, Sendable, CaseIterable, Codable {
    /// mean((ŷ − y)²).
    case meanSquaredError = "mean_squared_error"
    /// mean(|ŷ − y|).
    case meanAbsoluteError = "mean_absolute_error"
    /// −mean(y log ŷ + (1 − y) log(1 − ŷ)); exact on the logits after a sigmoid output.
    case binaryCrossentropy = "binary_crossentropy"
    /// −Σ y log ŷ per row, one-hot targets; exact on the logits after a softmax output.
    case categoricalCrossentropy = "categorical_crossentropy"
    /// As categorical, with class indices as targets (one column).
    case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"

    /// Keras clips probabilities to [ε, 1 − ε] with ε = 1e-7.
    static let epsilon: Float = 1e-7

    /// The sum over the rows of the per-row loss (the caller divides by the row count).
    func sum(_ out: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int, columns: Int) -> Double {
        var total: Double = 0
        switch self {
        case .meanSquaredError, .meanAbsoluteError:
            for r in 0..<rows {
                var s: Float = 0
                for j in 0..<columns {
                    let d = out[r * columns + j] - y[r * columns + j]
                    s += self == .meanSquaredError ? d * d : abs(d)
                }
                total += Double(s / Float(columns))
            }
        case .binaryCrossentropy:
            for r in 0..<rows {
                var s: Float = 0
                for j in 0..<columns {
                    let p = min(max(out[r * columns + j], Loss.epsilon), 1 - Loss.epsilon)
                    let t = y[r * columns + j]
                    s += -(t * Foundation.log(p) + (1 - t) * Foundation.log(1 - p))
                }
                total += Double(s / Float(columns))
            }
        case .categoricalCrossentropy:
            for r in 0..<rows {
                var s: Float = 0
                for j in 0..<columns {
                    let p = min(max(out[r * columns + j], Loss.epsilon), 1 - Loss.epsilon)
                    s -= y[r * columns + j] * Foundation.log(p)
                }
                total += Double(s)
            }
        case .sparseCategoricalCrossentropy:
            for r in 0..<rows {
                let label = min(max(Int(y[r]), 0), columns - 1)
                let p = min(max(out[r * columns + label], Loss.epsilon), 1 - Loss.epsilon)
                total -= Double(Foundation.log(p))
            }
        }
        return total
    }

    /// Writes dL/d(out) of the batch mean into `grad`; or dL/dz directly, returning `true`,
    /// when the output activation pairs with the loss (softmax with categorical, sigmoid with
    /// binary cross-entropy), which is exact and stable.
    func gradient(
        _ out: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ grad: UnsafeMutablePointer<Float>,
        rows: Int, columns: Int, activation: Activation
    ) -> Bool {
        let scale = 1 / Float(rows)
        switch self {
        case .meanSquaredError:
            let s = 2 * scale / Float(columns)
            for i in 0..<(rows * columns) { grad[i] = s * (out[i] - y[i]) }
            return false
        case .meanAbsoluteError:
            let s = scale / Float(columns)
            for i in 0..<(rows * columns) {
                let d = out[i] - y[i]
                grad[i] = d > 0 ? s : (d < 0 ? -s : 0)
            }
            return false
        case .binaryCrossentropy:
            let s = scale / Float(columns)
            if activation == .sigmoid {
                for i in 0..<(rows * columns) { grad[i] = s * (out[i] - y[i]) }
                return true
            }
            for i in 0..<(rows * columns) {
                let p = min(max(out[i], Loss.epsilon), 1 - Loss.epsilon)
                grad[i] = s * (p - y[i]) / (p * (1 - p))
            }
            return false
        case .categoricalCrossentropy:
            if activation == .softmax {
                for i in 0..<(rows * columns) { grad[i] = scale * (out[i] - y[i]) }
                return true
            }
            for i in 0..<(rows * columns) {
                let p = min(max(out[i], Loss.epsilon), 1 - Loss.epsilon)
                grad[i] = -scale * y[i] / p
            }
            return false
        case .sparseCategoricalCrossentropy:
            for r in 0..<rows {
                let label = min(max(Int(y[r]), 0), columns - 1)
                for j in 0..<columns {
                    let i = r * columns + j
                    if activation == .softmax {
                        grad[i] = scale * (out[i] - (j == label ? 1 : 0))
                    } else {
                        let p = min(max(out[i], Loss.epsilon), 1 - Loss.epsilon)
                        grad[i] = j == label ? -scale / p : 0
                    }
                }
            }
            return activation == .softmax
        }
    }

    /// The number of target columns the loss expects for `outputs` model outputs.
    func targetColumns(outputs: Int) -> Int { self == .sparseCategoricalCrossentropy ? 1 : outputs }
}

/// A metric reported each epoch, as Keras names it.
///
/// ```swift
/// model.compile(optimizer: .adam(), loss: .meanSquaredError, metrics: [.meanAbsoluteError])
/// ```
public enum Metric: String, Sendable, CaseIterable, Codable {
    /// The fraction of correct predictions (argmax for several outputs, 0.5 threshold for one).
    case accuracy
    /// mean(|ŷ − y|).
    case meanAbsoluteError = "mean_absolute_error"
    /// mean((ŷ − y)²).
    case meanSquaredError = "mean_squared_error"

    /// The sum over the rows of the per-row metric.
    func sum(_ out: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int, columns: Int, loss: Loss) -> Double {
        switch self {
        case .meanSquaredError:
            return Loss.meanSquaredError.sum(out, y, rows: rows, columns: columns)
        case .meanAbsoluteError:
            return Loss.meanAbsoluteError.sum(out, y, rows: rows, columns: columns)
        case .accuracy:
            var correct = 0
            for r in 0..<rows {
                let o = out + r * columns
                if columns == 1 {
                    let t = loss == .sparseCategoricalCrossentropy ? y[r] : y[r]
                    if (o[0] > 0.5) == (t > 0.5) { correct += 1 }
                    continue
                }
                var best = 0
                for j in 1..<columns where o[j] > o[best] { best = j }
                let label: Int
                if loss == .sparseCategoricalCrossentropy {
                    label = Int(y[r])
                } else {
                    let t = y + r * columns
                    var l = 0
                    for j in 1..<columns where t[j] > t[l] { l = j }
                    label = l
                }
                if best == label { correct += 1 }
            }
            return Double(correct)
        }
    }
}
