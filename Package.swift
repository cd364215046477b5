// swift-tools-version:6.1
import PackageDescription
import Foundation

// The trainer's kernels use FMA and AVX2 when built with SWIFTTUNER_NATIVE=1 (see the README).
// The default build is portable (x86-64 SSE2, still vectorized) and uses no unsafe flags, so the
// package stays usable as a version-pinned dependency.
let native = ProcessInfo.processInfo.environment["SWIFTTUNER_NATIVE"] == "1"
// Innermost loops start on a 64-byte line: the 6×16 kernel's loop (117 bytes) then spans two
// lines of instruction fetch instead of three, which measured 3–9 % faster on the large products
// (README, Benchmarks). After changing these flags, delete the build folder: when this one was
// added, an incremental release build kept the trainer's old object files.
let nativeFlags: [SwiftSetting] = native
    ? [.define("SWIFTTUNER_FMA"),
       .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-target-cpu", "haswell",
                     "-Xllvm", "-x86-experimental-pref-innermost-loop-alignment=6"])]
    : []

let package = Package(
    name: "SwiftTuner",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SwiftTuner", targets: ["SwiftTuner"]),
        .executable(name: "tuner", targets: ["tuner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // The portable seeded generator every random draw comes from. No dependencies.
        .target(name: "TunerRandom"),
        // The built-in trainer: a vectorized pure-Swift MLP. Depends on nothing but the generator.
        .target(name: "TunerTrainer", dependencies: ["TunerRandom"], swiftSettings: nativeFlags),
        // Shared vocabulary: hyperparameters, objectives, statuses, error types.
        .target(name: "TunerCore", dependencies: ["TunerRandom"]),
        // A C shim for the one SQLite call Swift cannot make (variadic sqlite3_db_config).
        .target(name: "CSQLiteShim", linkerSettings: [.linkedLibrary("sqlite3")]),
        // The SQLite study journal (GRDB on the system SQLite).
        .target(name: "TunerJournal", dependencies: [
            "TunerCore",
            "CSQLiteShim",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // libxml2 from the system (Debian: libxml2-dev), for writing and validating XML.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // Reports from the journal alone: JUnit XML, the HTML summary, KerasTuner projects as input.
        .target(name: "TunerReports", dependencies: ["TunerCore", "TunerJournal", "CLibXML2"]),
        // Study files (YAML) and the trials they describe: the built-in MLP or a command.
        .target(name: "TunerStudy", dependencies: [
            "TunerCore", "TunerJournal", "TunerEngine", "TunerTrainer", "SwiftTuner",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // The search engine: oracles, retries, failure limits, resume.
        .target(name: "TunerEngine", dependencies: ["TunerCore", "TunerJournal"]),
        // The umbrella library.
        .target(name: "SwiftTuner", dependencies: ["TunerCore", "TunerJournal", "TunerEngine", "TunerTrainer", "TunerReports"]),
        // Fixture hypermodels and helpers shared by tests, the worker and benchmarks.
        .target(name: "TunerTestSupport", dependencies: ["SwiftTuner"]),
        // The command-line tool.
        .executableTarget(name: "tuner", dependencies: [
            "SwiftTuner", "TunerStudy", "TunerTestSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // A child process for the crash-equivalence tests (killed at random instants).
        .executableTarget(name: "TunerCrashWorker", dependencies: ["SwiftTuner", "TunerTestSupport"]),
        // Side-by-side benchmarks (`swift run -c release TunerBenchmarks`).
        .executableTarget(name: "TunerBenchmarks", dependencies: ["SwiftTuner"], exclude: ["peers"]),
        .testTarget(name: "TunerCoreTests", dependencies: ["TunerCore"]),
        .testTarget(name: "TunerStudyTests", dependencies: ["TunerStudy", "SwiftTuner", "TunerTestSupport", "tuner"]),
        .testTarget(name: "TunerReportsTests", dependencies: ["TunerReports", "SwiftTuner", "TunerTestSupport"],
                    exclude: ["Scripts"]),
        .testTarget(name: "TunerTrainerTests", dependencies: ["TunerTrainer", "SwiftTuner", "TunerTestSupport"]),
        .testTarget(name: "TunerJournalTests", dependencies: ["TunerJournal", "TunerTestSupport"]),
        .testTarget(name: "TunerEngineTests", dependencies: ["SwiftTuner", "TunerEngine", "TunerRandom", "TunerTestSupport", "TunerCrashWorker"]),
    ],
    swiftLanguageModes: [.v6]
)
