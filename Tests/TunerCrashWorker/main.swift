// A child process for the crash-equivalence tests and the soak script: runs (or resumes)
// a seeded search of `FlakyWorkload` and is killed at random instants by its parent.
//
//   TunerCrashWorker DIR TUNER SEED MAX_TRIALS [SLEEP_US] [SYNCHRONOUS] [LIMIT] [WORKER] [STORE] [LEASE]
//   TUNER: grid | random | bayesian | hyperband
//   LIMIT: a consecutive-failure limit, with a workload where half the trials fail
//   (`none`, the default: no limit and the usual failure rates).
//   WORKER: join the study as this worker, beside others (section 9).
//   STORE: a postgresql:// URL to keep the study in (`-`: the SQLite journal in DIR); LEASE: its
//   lease in seconds.
import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerTestSupport

let arguments = CommandLine.arguments
guard arguments.count >= 5, let seed = UInt64(arguments[3]), let maxTrials = Int(arguments[4]) else {
    writeStandardError("usage: TunerCrashWorker DIR grid|random SEED MAX_TRIALS [SLEEP_US] [full|normal]\n")
    exit(2)
}
let sleep = arguments.count > 5 ? Int(arguments[5]) ?? 0 : 0
let synchronous: JournalOptions.Synchronous = arguments.count > 6 && arguments[6] == "normal" ? .normal : .full
let limit = arguments.count > 7 ? Int(arguments[7]) : nil
let worker = arguments.count > 8 ? arguments[8] : nil
let store = arguments.count > 9 && arguments[9] != "-" ? arguments[9] : nil
var options = JournalOptions(synchronous: synchronous, worker: worker)
if arguments.count > 10, let lease = Double(arguments[10]) { options.leaseSeconds = lease }
let workload =
    limit == nil
    ? FlakyWorkload(sleepMicroseconds: sleep)
    : FlakyWorkload(errorRate: 0.1, failedRate: 0.5, nanRate: 0, sleepMicroseconds: sleep)
let oracle: any Oracle
switch arguments[2] {
case "grid": oracle = GridSearchOracle()
case "bayesian": oracle = BayesianOptimizationOracle(numInitialPoints: 5, candidates: 200)
case "hyperband": oracle = HyperbandOracle(maxEpochs: 27, factor: 3, iterations: 3)
default: oracle = RandomSearchOracle()
}
do {
    let tuner = try Tuner(
        oracle: oracle, objective: "val_loss", hyperparameters: try FlakyWorkload.space(),
        configuration: TunerConfiguration(
            directory: arguments[1], projectName: "crash", maxTrials: maxTrials, maxRetriesPerTrial: 2,
            maxConsecutiveFailedTrials: limit, maxInterruptionsPerTrial: nil, seed: seed, verbose: 0, journal: options,
            store: store,
            handlesSignals: true))
    let outcome = try tuner.search(workload.run)
    print("stop: \(outcome.stopReason.rawValue)")
    if let signal = outcome.signal { exit(128 + signal) }
} catch {
    writeStandardError("error: \(error)\n")
    exit(1)
}
