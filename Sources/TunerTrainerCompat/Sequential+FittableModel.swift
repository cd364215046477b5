import Foundation
import TunerCore
import TunerEngine
import TunerTrainer

/// The built-in trainer plugs into the search engine: each attempt re-draws the weights
/// from the trial seed (S31) and fits with the model's ``FitConfiguration``; the per-epoch
/// history becomes the trial's learning curves.
///
/// Under Hyperband, a trial trains up to `tuner/epochs`, and a promoted one (`tuner/trial_id`)
/// continues from its parent's saved weights from `tuner/initial_epoch` on; every trial saves
/// its weights in its folder for the trials it may be promoted to.
extension Sequential: FittableModel {
    /// Fits the model for one attempt of a trial.
    public func fit(
        x: Matrix, y: Matrix, validationData: (Matrix, Matrix)?, epochs: Int,
        context: TrialContext
    ) throws -> TrialResult {
        let settings = fitConfiguration
        let hp = context.hyperparameters
        var total = epochs, seed: UInt64? = context.seed
        if case .int(let target) = hp["tuner/epochs"] {
            var initial = 0
            if case .int(let from) = hp["tuner/initial_epoch"] { initial = from }
            total = max(0, target - initial)
            if case .string(let parent) = hp["tuner/trial_id"] {
                initializeWeights(seed: context.seed)
                try loadWeights(from: Self.checkpoint(context, trial: parent))
                seed = nil
            }
        }
        let history = try fit(
            x: x, y: y, batchSize: settings.batchSize, epochs: total, validationData: validationData,
            validationSplit: validationData == nil ? settings.validationSplit : 0,
            shuffle: settings.shuffle, earlyStopping: settings.earlyStopping,
            terminateOnNaN: settings.terminateOnNaN, seed: seed
        ) { epoch, _ in
            // A search stopping on a signal ends the fit at the epoch's end, not the trial's.
            if context.stop.isStopped { throw CancellationError() }
            context.reportEpoch(epoch + 1, total)
        }
        if hp["tuner/epochs"] != nil, !context.directory.isEmpty {
            let path = Self.checkpoint(context, trial: context.trialID)
            do {
                try saveWeights(to: path)
            } catch {
                // The trial's folder cannot be written: the search's problem, not the trial's.
                throw TrialDirectoryError(path: path, reason: (error as NSError).localizedDescription)
            }
        }
        return TrialResult(history: history.epochs)
    }

    /// The weights file of a trial of the same study: `<study>/trials/trial_<id>/model.weights`.
    static func checkpoint(_ context: TrialContext, trial: String) -> String {
        (StudyLayout.trialDirectory(study: StudyLayout.study(ofTrialDirectory: context.directory), trialID: trial)
            as NSString).appendingPathComponent("model.weights")
    }
}
