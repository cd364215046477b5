// A child process for the crash-equivalence tests and the soak script: runs (or resumes)
// a seeded search of `FlakyWorkload` and is killed at random instants by its parent.
//
//   TunerCrashWorker DIR TUNER SEED MAX_TRIALS [SLEEP_US] [SYNCHRONOUS]
//   TUNER: grid | random | bayesian | hyperband
import Foundation
import TunerCore
import SwiftTuner
import TunerTestSupport

let arguments = CommandLine.arguments
guard arguments.count >= 5, let seed = UInt64(arguments[3]), let maxTrials = Int(arguments[4]) else {
    writeStandardError("usage: TunerCrashWorker DIR grid|random SEED MAX_TRIALS [SLEEP_US] [full|normal]\n")
    exit(2)
}
let sleep = arguments.count > 5 ? Int(arguments[5]) ?? 0 : 0
let synchronous: JournalOptions.Synchronous = arguments.count > 6 && arguments[6] == "normal" ? .normal : .full
let oracle: any Oracle
switch arguments[2] {
case "grid": oracle = GridSearchOracle()
case "bayesian": oracle = BayesianOptimizationOracle(numInitialPoints: 5, candidates: 200)
case "hyperband": oracle = HyperbandOracle(maxEpochs: 27, factor: 3, iterations: 3)
default: oracle = RandomSearchOracle()
}
do {
    let tuner = try Tuner(oracle: oracle, objective: "val_loss", hyperparameters: try FlakyWorkload.space(),
                          directory: arguments[1], projectName: "crash", maxTrials: maxTrials,
                          maxRetriesPerTrial: 2, maxConsecutiveFailedTrials: nil, maxInterruptionsPerTrial: nil,
                          seed: seed, verbose: 0, journalOptions: JournalOptions(synchronous: synchronous))
    tuner.onInterrupt = { stop in _exit(stop.exitCode) }
    let outcome = try tuner.search(FlakyWorkload(sleepMicroseconds: sleep).run)
    print("stop: \(outcome.stopReason.rawValue)")
    if let signal = outcome.signal { exit(128 + signal) }
} catch {
    writeStandardError("error: \(error)\n")
    exit(1)
}
