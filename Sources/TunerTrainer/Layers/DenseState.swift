import TunerRandom

/// The weights, gradients and optimizer slots of one built ``Dense`` layer.
final class DenseState {
    let inputs: Int
    let units: Int
    let activation: Activation
    let useBias: Bool
    /// The rate of a ``Dropout`` applied to this layer's output, 0 for none.
    let dropout: Float
    /// Weights, inputs × units, row-major.
    let w: Buffer
    let b: Buffer
    let dw: Buffer
    let db: Buffer
    let mw: Buffer, vw: Buffer, mb: Buffer, vb: Buffer

    init(inputs: Int, units: Int, activation: Activation, useBias: Bool, dropout: Float) {
        self.inputs = inputs
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.dropout = dropout
        w = Buffer(inputs * units)
        b = Buffer(units)
        dw = Buffer(inputs * units)
        db = Buffer(units)
        mw = Buffer(inputs * units)
        vw = Buffer(inputs * units)
        mb = Buffer(units)
        vb = Buffer(units)
    }

    var parameterCount: Int { inputs * units + (useBias ? units : 0) }

    /// Glorot-uniform weights (limit √(6 / (fan_in + fan_out))) and zero biases, as Keras;
    /// optimizer slots cleared.
    func initialize(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let limit = Float((6.0 / Double(inputs + units)).squareRoot())
        for i in 0..<(inputs * units) { w.pointer[i] = Float(rng.nextDouble() * 2 - 1) * limit }
        b.zero()
        for slot in [mw, vw, mb, vb] { slot.zero() }
    }

    /// out = act(x·W + b), for `rows` rows.
    func forward(_ x: UnsafePointer<Float>, rows: Int, _ a: UnsafeMutablePointer<Float>) {
        Kernels.gemm(m: rows, n: units, k: inputs, x, lda: inputs, w.pointer, ldb: units, a, ldc: units)
        if useBias {
            let bias = b.pointer
            var r = 0
            while r < rows {
                let ar = a + r &* units
                var j = 0
                while j < units { ar[j] += bias[j]; j = j &+ 1 }
                r = r &+ 1
            }
        }
        activation.forward(a, a, rows: rows, columns: units)
    }

    /// Given dL/dz in `g` and the layer's input `x`, fills dW and db and, when `gx` is given,
    /// writes dL/dx = g·Wᵀ (both transposes read in place).
    func backward(_ x: UnsafePointer<Float>, rows: Int, _ g: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>?) {
        Kernels.gemm(
            m: inputs, n: units, k: rows, x, lda: inputs, g, ldb: units, dw.pointer, ldc: units, transposeA: true)
        if useBias {
            db.zero()
            let sums = db.pointer
            var r = 0
            while r < rows {
                let gr = g + r &* units
                var j = 0
                while j < units { sums[j] += gr[j]; j = j &+ 1 }
                r = r &+ 1
            }
        }
        if let gx {
            Kernels.gemm(
                m: rows, n: inputs, k: units, g, lda: units, w.pointer, ldb: units, gx, ldc: inputs, transposeB: true)
        }
    }

    func update(_ optimizer: Optimizer, step: Int) {
        optimizer.update(w.pointer, dw.pointer, mw.pointer, vw.pointer, count: inputs * units, step: step)
        if useBias { optimizer.update(b.pointer, db.pointer, mb.pointer, vb.pointer, count: units, step: step) }
    }

    /// The weights and biases, for saving and restoring.
    var weights: (w: [Float], b: [Float]) { (w.array(inputs * units), b.array(units)) }

    func setWeights(_ weights: (w: [Float], b: [Float])) {
        weights.w.withUnsafeBufferPointer {
            w.pointer.update(from: $0.baseAddress!, count: min($0.count, inputs * units))
        }
        weights.b.withUnsafeBufferPointer { b.pointer.update(from: $0.baseAddress!, count: min($0.count, units)) }
    }
}
