import Foundation

/// An activation function, as Keras names them.
///
/// ```swift
/// Dense(64, activation: .relu)
/// ```
public enum Activation: String, Sendable, CaseIterable, Codable {
    /// The identity (Keras' default for `Dense`).
    case linear
    /// max(0, x).
    case relu
    /// The hyperbolic tangent.
    case tanh
    /// 1 / (1 + e^-x).
    case sigmoid
    /// exp(x) / Σ exp, over each row.
    case softmax

    /// Applies the activation to `count = rows × columns` values of `z`, writing `a`.
    func forward(_ z: UnsafePointer<Float>, _ a: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        let count = rows * columns
        switch self {
        case .linear:
            if UnsafePointer(a) != z { a.update(from: z, count: count) }
        case .relu:
            var i = 0
            while i < count { let v = z[i]; a[i] = v > 0 ? v : 0; i = i &+ 1 }
        case .tanh:
            var i = 0
            while i < count { a[i] = Foundation.tanh(z[i]); i = i &+ 1 }
        case .sigmoid:
            var i = 0
            while i < count { a[i] = Activation.sigmoid(z[i]); i = i &+ 1 }
        case .softmax:
            for r in 0..<rows {
                let zr = z + r * columns, ar = a + r * columns
                var m = -Float.infinity
                for j in 0..<columns { m = max(m, zr[j]) }
                var sum: Float = 0
                for j in 0..<columns {
                    let e = Foundation.exp(zr[j] - m)
                    ar[j] = e
                    sum += e
                }
                let inv = 1 / sum
                for j in 0..<columns { ar[j] *= inv }
            }
        }
    }

    /// Turns `grad` (dL/da) into dL/dz in place, given the activation's output `a`.
    func backward(_ a: UnsafePointer<Float>, _ grad: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        let count = rows * columns
        switch self {
        case .linear:
            break
        case .relu:
            var i = 0
            while i < count { if a[i] <= 0 { grad[i] = 0 }; i = i &+ 1 }
        case .tanh:
            var i = 0
            while i < count { grad[i] *= 1 - a[i] * a[i]; i = i &+ 1 }
        case .sigmoid:
            var i = 0
            while i < count { grad[i] *= a[i] * (1 - a[i]); i = i &+ 1 }
        case .softmax:
            for r in 0..<rows {
                let ar = a + r * columns, gr = grad + r * columns
                var dot: Float = 0
                for j in 0..<columns { dot += ar[j] * gr[j] }
                for j in 0..<columns { gr[j] = ar[j] * (gr[j] - dot) }
            }
        }
    }

    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }
}
