import Foundation

/// How weights are updated from their gradients, with Keras' defaults.
///
/// ```swift
/// model.compile(optimizer: .adam(learningRate: 3e-4), loss: .meanSquaredError)
/// model.compile(optimizer: .sgd(learningRate: 0.01, momentum: 0.9), loss: .meanSquaredError)
/// ```
public enum Optimizer: Sendable, Equatable {
    /// Adam: Keras' defaults are a learning rate of 1e-3, β₁ 0.9, β₂ 0.999, ε 1e-7.
    case adam(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7)
    /// Stochastic gradient descent with optional momentum (Keras: learning rate 0.01, momentum 0).
    case sgd(learningRate: Double = 0.01, momentum: Double = 0)

    /// The learning rate.
    public var learningRate: Double {
        switch self {
        case .adam(let lr, _, _, _), .sgd(let lr, _): lr
        }
    }

    /// Updates `count` parameters from their gradients; `step` counts updates from 1.
    func update(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
        _ v: UnsafeMutablePointer<Float>, count: Int, step: Int
    ) {
        switch self {
        case let .adam(lr, beta1, beta2, epsilon):
            // Keras: alpha = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ); m += (g − m)(1 − β₁); v += (g² − v)(1 − β₂);
            // w −= alpha·m / (√v + ε).
            let t = Double(step)
            let alpha = Float(lr * (1 - Foundation.pow(beta2, t)).squareRoot() / (1 - Foundation.pow(beta1, t)))
            let b1 = Float(1 - beta1), b2 = Float(1 - beta2), eps = Float(epsilon)
            var i = 0
            #if !DEBUG
                // Eight parameters at a time (the pointers may alias as far as the compiler knows,
                // so it does not vectorize the scalar loop by itself), with a vector square root.
                typealias V = SIMD8<Float>
                let vb1 = V(repeating: b1), vb2 = V(repeating: b2), veps = V(repeating: eps),
                    valpha = V(repeating: alpha)
                while i + 8 <= count {
                    let gi = UnsafeRawPointer(g + i).loadUnaligned(as: V.self)
                    var mi = UnsafeRawPointer(m + i).loadUnaligned(as: V.self)
                    var vi = UnsafeRawPointer(v + i).loadUnaligned(as: V.self)
                    let wi = UnsafeRawPointer(w + i).loadUnaligned(as: V.self)
                    mi = mi + (gi - mi) * vb1
                    vi = vi + (gi * gi - vi) * vb2
                    UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: V.self)
                    UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: V.self)
                    UnsafeMutableRawPointer(w + i).storeBytes(
                        of: wi - valpha * mi / (Kernels.squareRoot(vi) + veps), as: V.self)
                    i += 8
                }
            #endif
            while i < count {
                let gi = g[i]
                let mi = m[i] + (gi - m[i]) * b1
                let vi = v[i] + (gi * gi - v[i]) * b2
                m[i] = mi
                v[i] = vi
                w[i] -= alpha * mi / (vi.squareRoot() + eps)
                i = i &+ 1
            }
        case let .sgd(lr, momentum):
            let rate = Float(lr), mu = Float(momentum)
            if momentum == 0 {
                var i = 0
                while i < count { w[i] -= rate * g[i]; i = i &+ 1 }
            } else {
                // Keras: velocity = momentum·velocity − lr·g; w += velocity.
                for i in 0..<count {
                    let velocity = mu * m[i] - rate * g[i]
                    m[i] = velocity
                    w[i] += velocity
                }
            }
        }
    }
}
