// `TunerTrialPath DIRECTORY TRIALS full|normal`: one search of TRIALS trivial trials, nothing
// else, for `TunerBenchmarks journal` to count its instructions with callgrind (a small program
// of its own: valgrind cannot run the benchmarks' own binary).
import Foundation
import SwiftTuner

let arguments = CommandLine.arguments
guard arguments.count == 4, let trials = Int(arguments[2]), trials > 0 else {
    FileHandle.standardError.write(Data("usage: TunerTrialPath DIRECTORY TRIALS full|normal\n".utf8))
    exit(2)
}
let hp = HyperParameters()
try hp.float("x", min: 1e-4, max: 1e-1, sampling: .log)
try hp.float("y", min: 0, max: 1)
let tuner = try Tuner(
    oracle: RandomSearchOracle(), objective: "val_loss", hyperparameters: hp,
    configuration: TunerConfiguration(
        directory: arguments[1], projectName: "trial-path-\(trials)", maxTrials: trials, seed: 1, verbose: 0,
        journal: JournalOptions(synchronous: arguments[3] == "full" ? .full : .normal)),
    output: CapturedOutput())
tuner.handlesSignals = false
try tuner.search { context in
    let x = context.hyperparameters["x"]?.doubleValue ?? 0
    let y = context.hyperparameters["y"]?.doubleValue ?? 0
    return TrialResult(metrics: ["val_loss": (x - 0.01) * (x - 0.01) + y])
}
