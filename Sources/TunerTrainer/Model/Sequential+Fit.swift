import TunerRandom

extension Sequential {
    /// Trains the model, as Keras' `fit`: mini-batches of `batchSize` rows, reshuffled each
    /// epoch; per-epoch `loss`, metrics, and `val_` ones when there is validation data.
    ///
    /// Every random draw (shuffling, dropout) comes from `seed`; when `seed` is given, the
    /// weights are first re-drawn from it too, so the same seed gives the same bits.
    ///
    /// - Parameters:
    ///   - validationSplit: the fraction of the last rows held out, when `validationData` is nil.
    ///   - terminateOnNaN: stop at the first NaN or infinite loss (Keras' `TerminateOnNaN`).
    ///   - onEpochEnd: called after each epoch with its index (from 0) and metrics; an error it
    ///     throws ends the fit and is rethrown.
    /// - Throws: ``TrainerError`` for shapes that do not fit or a model that was not compiled.
    @discardableResult
    public func fit(
        x: Matrix, y: Matrix, batchSize: Int = 32, epochs: Int = 1,
        validationData: (Matrix, Matrix)? = nil, validationSplit: Double = 0, shuffle: Bool = true,
        earlyStopping: EarlyStopping? = nil, terminateOnNaN: Bool = true, seed: UInt64? = nil,
        onEpochEnd: ((_ epoch: Int, _ metrics: [String: Double]) throws -> Void)? = nil
    ) throws -> History {
        guard let optimizer, let loss else { throw TrainerError.configuration("compile the model before fit") }
        guard batchSize >= 1 else { throw TrainerError.configuration("batchSize must be at least 1, got \(batchSize)") }
        guard epochs >= 0 else { throw TrainerError.configuration("epochs must be 0 or more, got \(epochs)") }
        guard validationSplit >= 0, validationSplit < 1 else {
            throw TrainerError.configuration("validationSplit must be in [0, 1), got \(validationSplit)")
        }
        try checkData(x, y, loss: loss)
        if let seed { initializeWeights(seed: seed) }
        var trainX = x, trainY = y
        var validation = validationData
        if validation == nil, validationSplit > 0 {
            let held = Int(Double(x.rows) * validationSplit)
            let kept = x.rows - held
            guard held > 0, kept > 0 else {
                throw TrainerError.configuration(
                    "validationSplit \(validationSplit) of \(x.rows) rows leaves no rows on one side")
            }
            trainX = x.rows(0..<kept)
            trainY = y.rows(0..<kept)
            validation = (x.rows(kept..<x.rows), y.rows(kept..<x.rows))
        }
        if let (vx, vy) = validation { try checkData(vx, vy, loss: loss) }
        guard trainX.rows > 0 else { throw TrainerError.configuration("no training rows") }

        let rows = trainX.rows
        let batch = min(batchSize, rows)
        let work = Workspace(model: self, batch: batch)
        var rng = SplitMix64(seed: SplitMix64.mix(self.seed, 0xF17))
        var order = Array(0..<rows)
        let targetColumns = loss.targetColumns(outputs: outputSize)
        let batchX = Buffer(batch * inputSize)
        let batchY = Buffer(batch * targetColumns)
        var history = History()
        var best: (value: Double, epoch: Int, weights: [(w: [Float], b: [Float])])?
        var wait = 0

        for epoch in 0..<epochs {
            if shuffle {
                for i in stride(from: rows - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
            }
            var lossSum = 0.0
            var metricSums = Array(repeating: 0.0, count: metrics.count)
            var start = 0
            trainX.withUnsafePointer { xp in
                trainY.withUnsafePointer { yp in
                    while start < rows {
                        let n = min(batch, rows - start)
                        for i in 0..<n {
                            let r = order[start + i]
                            (batchX.pointer + i * inputSize).update(from: xp + r * inputSize, count: inputSize)
                            (batchY.pointer + i * targetColumns).update(
                                from: yp + r * targetColumns, count: targetColumns)
                        }
                        let (l, m) = trainStep(
                            batchX.pointer, batchY.pointer, rows: n, work: work, loss: loss,
                            optimizer: optimizer, rng: &rng)
                        lossSum += l
                        for k in 0..<m.count { metricSums[k] += m[k] }
                        start += n
                    }
                }
            }
            var record: [String: Double] = ["loss": lossSum / Double(rows)]
            for (k, metric) in metrics.enumerated() { record[metric.rawValue] = metricSums[k] / Double(rows) }
            if let (vx, vy) = validation {
                for (name, value) in try evaluate(x: vx, y: vy, batchSize: batchSize) { record["val_" + name] = value }
            }
            history.epochs.append(record)
            try onEpochEnd?(epoch, record)
            if terminateOnNaN, !(record["loss"] ?? 0).isFinite {
                history.terminatedOnNaN = true
                break
            }
            if let stopping = earlyStopping, let value = record[stopping.monitor] {
                if stopping.improves(value, on: best?.value) {
                    best = (value, epoch, stopping.restoreBestWeights ? weights : [])
                    wait = 0
                } else {
                    wait += 1
                    if wait > stopping.patience {
                        history.stoppedEpoch = epoch
                        break
                    }
                }
            }
        }
        if let stopping = earlyStopping, stopping.restoreBestWeights, let best, best.epoch != history.epochs.count - 1 {
            try setWeights(best.weights)
        }
        return history
    }

    /// One gradient step on a batch; returns the summed loss and metrics of its rows.
    func trainStep(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int, work: Workspace, loss: Loss,
        optimizer: Optimizer, rng: inout SplitMix64
    ) -> (Double, [Double]) {
        let result = backpropagate(x, y, rows: rows, work: work, loss: loss, rng: &rng)
        step += 1
        for layer in dense { layer.update(optimizer, step: step) }
        return result
    }

    /// The forward and backward passes of a batch: fills every layer's dW and db with the
    /// gradient of the batch's mean loss; returns the summed loss and metrics of its rows.
    func backpropagate(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int, work: Workspace, loss: Loss,
        rng: inout SplitMix64
    ) -> (Double, [Double]) {
        let out = withUnsafeMutablePointer(to: &rng) { forward(x, rows: rows, work: work, training: true, rng: $0) }
        let outputs = outputSize
        let lossSum = loss.sum(out, y, rows: rows, columns: outputs)
        let metricSums = metrics.map { $0.sum(out, y, rows: rows, columns: outputs, loss: loss) }
        let last = dense.count - 1
        let g = work.gradients[last].pointer
        let exact = loss.gradient(out, y, g, rows: rows, columns: outputs, activation: dense[last].activation)
        for index in stride(from: last, through: 0, by: -1) {
            let layer = dense[index]
            let gi = work.gradients[index].pointer
            if layer.dropout > 0 {
                let mask = work.masks[index].pointer
                for i in 0..<(rows * layer.units) { gi[i] *= mask[i] }
            }
            if !(index == last && exact) {
                layer.activation.backward(work.activations[index].pointer, gi, rows: rows, columns: layer.units)
            }
            let input: UnsafePointer<Float>
            if index == 0 {
                input = inputDropout > 0 ? UnsafePointer(work.inputDropped.pointer) : x
            } else {
                let previous = dense[index - 1]
                input = UnsafePointer(
                    previous.dropout > 0 ? work.outputs[index - 1].pointer : work.activations[index - 1].pointer)
            }
            layer.backward(input, rows: rows, gi, index > 0 ? work.gradients[index - 1].pointer : nil)
        }
        return (lossSum, metricSums)
    }
}
