import TunerEngine
import TunerTrainer

/// The built-in trainer plugs into the search engine: each attempt re-draws the weights
/// from the trial seed (S31) and fits with the model's ``FitConfiguration``; the per-epoch
/// history becomes the trial's learning curves.
extension Sequential: FittableModel {
    /// Fits the model for one attempt of a trial.
    public func fit(x: Matrix, y: Matrix, validationData: (Matrix, Matrix)?, epochs: Int,
                    context: TrialContext) throws -> TrialResult {
        let settings = fitConfiguration
        let history = try fit(x: x, y: y, batchSize: settings.batchSize, epochs: epochs, validationData: validationData,
                              validationSplit: validationData == nil ? settings.validationSplit : 0,
                              shuffle: settings.shuffle, earlyStopping: settings.earlyStopping,
                              terminateOnNaN: settings.terminateOnNaN, seed: context.seed) { epoch, _ in
            context.reportEpoch(epoch + 1, epochs)
        }
        return TrialResult(history: history.epochs)
    }
}
