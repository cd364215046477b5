import TunerRandom

/// A stack of layers trained as one model: Keras' `Sequential`, for dense networks.
///
/// ```swift
/// let model = try Sequential([
///     Dense(30, inputSize: 20),
///     Dense(20, activation: .relu),
///     Dense(1),
/// ])
/// model.compile(optimizer: .adam(), loss: .meanSquaredError, metrics: [.meanAbsoluteError])
/// let history = try model.fit(x: x, y: y, batchSize: 32, epochs: 10, validationData: (xv, yv))
/// model.parameterCount      // 1271, as Keras' count_params()
/// ```
public final class Sequential {
    /// The layers as given.
    public let layers: [any Layer]
    /// The number of input features.
    public let inputSize: Int
    let dense: [DenseState]
    /// Dropout applied to the inputs (a ``Dropout`` before the first ``Dense``).
    let inputDropout: Float
    /// The optimizer, loss and metrics, once compiled.
    public private(set) var optimizer: Optimizer?
    /// The loss, once compiled.
    public private(set) var loss: Loss?
    /// The metrics, once compiled.
    public private(set) var metrics: [Metric] = []
    /// The seed the weights were last initialized from.
    public private(set) var seed: UInt64
    /// Optimizer steps taken so far.
    var step = 0
    /// The buffers of the last inference, kept for the next one of the same batch size
    /// (`evaluate` runs after every epoch).
    var inferenceWorkspace: Workspace?
    /// What the search engine uses when it fits the model for a trial.
    public var fitConfiguration = FitConfiguration()

    /// Builds the model: the first ``Dense`` must give `inputSize` (or pass `inputSize` here).
    ///
    /// - Throws: ``TrainerError`` for a missing input size, no Dense layer, a unit count
    ///   below 1 or a dropout rate outside [0, 1).
    public init(_ layers: [any Layer], inputSize: Int? = nil, seed: UInt64 = 0) throws {
        self.layers = layers
        self.seed = seed
        var size = inputSize
        var states: [DenseState] = []
        var pendingDropout: Float = 0
        var inputDropout: Float = 0
        for (index, layer) in layers.enumerated() {
            if let d = layer as? Dense {
                if size == nil { size = d.inputSize }
                guard let inputs = size else {
                    throw TrainerError.configuration(
                        "layer \(index): the first Dense needs inputSize (Keras' input_shape)")
                }
                guard d.units >= 1 else {
                    throw TrainerError.configuration("layer \(index): Dense needs at least 1 unit, got \(d.units)")
                }
                if let given = d.inputSize, given != inputs {
                    throw TrainerError.shape(
                        "layer \(index): inputSize \(given) but the previous layer gives \(inputs)")
                }
                if states.isEmpty { inputDropout = pendingDropout }
                pendingDropout = 0
                states.append(
                    DenseState(inputs: inputs, units: d.units, activation: d.activation, useBias: d.useBias, dropout: 0)
                )
                size = d.units
            } else if let drop = layer as? Dropout {
                guard drop.rate >= 0, drop.rate < 1 else {
                    throw TrainerError.configuration("layer \(index): Dropout rate must be in [0, 1), got \(drop.rate)")
                }
                if let last = states.popLast() {
                    let rate = 1 - (1 - last.dropout) * (1 - Float(drop.rate))
                    states.append(
                        DenseState(
                            inputs: last.inputs, units: last.units, activation: last.activation,
                            useBias: last.useBias, dropout: rate))
                } else {
                    pendingDropout = 1 - (1 - pendingDropout) * (1 - Float(drop.rate))
                }
            } else {
                throw TrainerError.configuration("layer \(index): unsupported layer \(type(of: layer))")
            }
        }
        guard let first = states.first else {
            throw TrainerError.configuration("a Sequential model needs at least one Dense layer")
        }
        self.inputSize = first.inputs
        self.dense = states
        self.inputDropout = inputDropout
        initializeWeights(seed: seed)
    }

    /// The number of weights and biases, as Keras' `count_params()`.
    public var parameterCount: Int { dense.reduce(0) { $0 + $1.parameterCount } }

    /// The number of outputs.
    public var outputSize: Int { dense.last?.units ?? 0 }

    /// Re-draws every weight from `seed` (Glorot uniform, zero biases) and resets the optimizer.
    public func initializeWeights(seed: UInt64) {
        self.seed = seed
        for (index, layer) in dense.enumerated() {
            layer.initialize(seed: SplitMix64.mix(seed, UInt64(index + 1)))
        }
        step = 0
    }

    /// Sets the optimizer, loss and metrics, as Keras' `compile`.
    public func compile(optimizer: Optimizer = .adam(), loss: Loss, metrics: [Metric] = []) {
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        step = 0
        for layer in dense { for slot in [layer.mw, layer.vw, layer.mb, layer.vb] { slot.zero() } }
    }

    /// The weights and biases of each Dense layer, in order.
    public var weights: [(w: [Float], b: [Float])] { dense.map(\.weights) }

    /// Replaces the weights and biases of each Dense layer.
    public func setWeights(_ weights: [(w: [Float], b: [Float])]) throws {
        guard weights.count == dense.count else {
            throw TrainerError.shape("\(weights.count) weight sets for \(dense.count) Dense layers")
        }
        for (layer, w) in zip(dense, weights) {
            guard w.w.count == layer.inputs * layer.units, w.b.count == layer.units else {
                throw TrainerError.shape(
                    "weights of \(w.w.count) and biases of \(w.b.count) for a \(layer.inputs)×\(layer.units) layer")
            }
            layer.setWeights(w)
        }
    }

    /// The model's outputs for each row of `x`, at inference (no dropout).
    public func predict(_ x: Matrix, batchSize: Int = 32) throws -> Matrix {
        try checkInputs(x)
        var out = Matrix(rows: x.rows, columns: outputSize)
        let batch = max(1, min(batchSize, x.rows))
        let work = inferenceWorkspace.flatMap { $0.batch == batch ? $0 : nil } ?? Workspace(model: self, batch: batch)
        inferenceWorkspace = work
        x.withUnsafePointer { xp in
            out.withUnsafeMutablePointer { op in
                var start = 0
                while start < x.rows {
                    let n = min(work.batch, x.rows - start)
                    let result = forward(xp + start * inputSize, rows: n, work: work, training: false, rng: nil)
                    op.advanced(by: start * outputSize).update(from: result, count: n * outputSize)
                    start += n
                }
            }
        }
        return out
    }

    /// The loss and metrics on `x` and `y`, as Keras' `evaluate` (names without `val_`).
    public func evaluate(x: Matrix, y: Matrix, batchSize: Int = 32) throws -> [String: Double] {
        guard let loss else { throw TrainerError.configuration("compile the model before evaluate") }
        try checkData(x, y, loss: loss)
        let predictions = try predict(x, batchSize: batchSize)
        var result: [String: Double] = [:]
        let n = Double(max(1, x.rows))
        predictions.withUnsafePointer { p in
            y.withUnsafePointer { t in
                result["loss"] = loss.sum(p, t, rows: x.rows, columns: outputSize) / n
                for metric in metrics {
                    result[metric.rawValue] = metric.sum(p, t, rows: x.rows, columns: outputSize, loss: loss) / n
                }
            }
        }
        return result
    }

    func checkInputs(_ x: Matrix) throws {
        guard x.columns == inputSize else {
            throw TrainerError.shape("the model takes \(inputSize) input columns, x has \(x.columns)")
        }
    }

    func checkData(_ x: Matrix, _ y: Matrix, loss: Loss) throws {
        try checkInputs(x)
        guard x.rows == y.rows else { throw TrainerError.shape("x has \(x.rows) rows, y has \(y.rows)") }
        let expected = loss.targetColumns(outputs: outputSize)
        guard y.columns == expected else {
            throw TrainerError.shape(
                "\(loss.rawValue) with \(outputSize) outputs needs y with \(expected) column(s), got \(y.columns)")
        }
    }

    /// Runs the layers on `rows` rows; returns the output pointer (inside `work`).
    func forward(
        _ x: UnsafePointer<Float>, rows: Int, work: Workspace, training: Bool,
        rng: UnsafeMutablePointer<SplitMix64>?
    ) -> UnsafeMutablePointer<Float> {
        var input = x
        if training, inputDropout > 0, let rng {
            applyDropout(
                rate: inputDropout, x, work.inputDropped.pointer, work.inputMask.pointer, count: rows * inputSize,
                rng: rng)
            input = UnsafePointer(work.inputDropped.pointer)
        }
        for (index, layer) in dense.enumerated() {
            let a = work.activations[index].pointer
            layer.forward(input, rows: rows, a)
            if training, layer.dropout > 0, let rng {
                let out = work.outputs[index].pointer
                applyDropout(
                    rate: layer.dropout, a, out, work.masks[index].pointer, count: rows * layer.units, rng: rng)
                input = UnsafePointer(out)
            } else {
                input = UnsafePointer(a)
            }
        }
        return UnsafeMutablePointer(mutating: input)
    }

    func applyDropout(
        rate: Float, _ a: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
        _ mask: UnsafeMutablePointer<Float>, count: Int, rng: UnsafeMutablePointer<SplitMix64>
    ) {
        let keep = 1 / (1 - rate)
        for i in 0..<count {
            let m: Float = Float(rng.pointee.nextDouble()) < rate ? 0 : keep
            mask[i] = m
            out[i] = a[i] * m
        }
    }
}

/// The settings the search engine uses when it fits a model for a trial.
///
/// ```swift
/// model.fitConfiguration = FitConfiguration(batchSize: 64, earlyStopping: EarlyStopping(patience: 3))
/// ```
public struct FitConfiguration: Sendable, Equatable {
    /// Rows per gradient step (Keras: 32).
    public var batchSize: Int
    /// Whether rows are shuffled each epoch.
    public var shuffle: Bool
    /// The fraction of rows held out for validation when no validation data is given.
    public var validationSplit: Double
    /// Early stopping, if any.
    public var earlyStopping: EarlyStopping?
    /// Whether training stops at the first NaN or infinite loss (Keras' `TerminateOnNaN`).
    public var terminateOnNaN: Bool

    /// Makes a configuration with Keras' defaults.
    public init(
        batchSize: Int = 32, shuffle: Bool = true, validationSplit: Double = 0,
        earlyStopping: EarlyStopping? = nil, terminateOnNaN: Bool = true
    ) {
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.validationSplit = validationSplit
        self.earlyStopping = earlyStopping
        self.terminateOnNaN = terminateOnNaN
    }
}

/// The activations and gradients of one batch size, allocated once per `fit`.
final class Workspace {
    let batch: Int
    let activations: [Buffer]
    let outputs: [Buffer]
    let masks: [Buffer]
    let gradients: [Buffer]
    let inputDropped: Buffer
    let inputMask: Buffer

    init(model: Sequential, batch: Int) {
        self.batch = batch
        activations = model.dense.map { Buffer(batch * $0.units) }
        outputs = model.dense.map { Buffer($0.dropout > 0 ? batch * $0.units : 1) }
        masks = model.dense.map { Buffer($0.dropout > 0 ? batch * $0.units : 1) }
        gradients = model.dense.map { Buffer(batch * $0.units) }
        inputDropped = Buffer(model.inputDropout > 0 ? batch * model.inputSize : 1)
        inputMask = Buffer(model.inputDropout > 0 ? batch * model.inputSize : 1)
    }
}
