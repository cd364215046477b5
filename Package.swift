// swift-tools-version:6.1
import PackageDescription
import Foundation

// The default build uses no unsafe flags, so the package stays usable as a version-pinned
// dependency: it is portable (x86-64 SSE2, still vectorized), and its matrix products switch at run
// time to C kernels for AVX2 and FMA where the CPU has them (CTunerKernels). SWIFTTUNER_NATIVE=1
// compiles the whole trainer for AVX2 and FMA (see the README).
let native = ProcessInfo.processInfo.environment["SWIFTTUNER_NATIVE"] == "1"
// Innermost loops start on a 64-byte line: the 6×16 kernel's loop (117 bytes) then spans two
// lines of instruction fetch instead of three, which measured 3–9 % faster on the large products
// (README, Benchmarks). After changing these flags, delete the build folder: when this one was
// added, an incremental release build kept the trainer's old object files.
let nativeFlags: [SwiftSetting] =
    native
    ? [
        .define("SWIFTTUNER_FMA"),
        .unsafeFlags([
            "-Xcc", "-mavx2", "-Xcc", "-mfma", "-target-cpu", "haswell",
            "-Xllvm", "-x86-experimental-pref-innermost-loop-alignment=6",
        ]),
    ]
    : []
// The register tiles (C) get the same loop alignment in a native build.
let nativeKernelFlags: [CSetting] =
    native ? [.unsafeFlags(["-mllvm", "-x86-experimental-pref-innermost-loop-alignment=6"])] : []

let package = Package(
    name: "SwiftTuner",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SwiftTuner", targets: ["SwiftTuner"]),
        // The live dashboard as a library (`tuner serve` runs it): Hummingbird, kept out of the umbrella.
        .library(name: "SwiftTunerServe", targets: ["TunerServe"]),
        .executable(name: "tuner", targets: ["tuner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Builds the documentation catalog (`swift package generate-documentation --target SwiftTuner`).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The portable seeded generator every random draw comes from. No dependencies.
        .target(name: "TunerRandom"),
        // The trainer's AVX2 + FMA register kernels in C, compiled for those instructions by a function
        // attribute (no build flag) and called only where the CPU has them.
        .target(name: "CTunerKernels", cSettings: nativeKernelFlags),
        // The built-in trainer: a vectorized MLP in Swift. Depends on nothing but the generator and its kernels.
        .target(name: "TunerTrainer", dependencies: ["TunerRandom", "CTunerKernels"], swiftSettings: nativeFlags),
        // Shared vocabulary: hyperparameters, objectives, statuses, limits, error types.
        .target(name: "TunerCore", dependencies: ["TunerRandom"]),
        // A C shim for the one SQLite call Swift cannot make (variadic sqlite3_db_config).
        .target(name: "CSQLiteShim", linkerSettings: [.linkedLibrary("sqlite3")]),
        // The store's vocabulary: records, the values the engine writes, the store protocol. No database.
        .target(name: "TunerStore", dependencies: ["TunerCore"]),
        // The SQLite study journal (GRDB on the system SQLite), the first store.
        .target(
            name: "TunerJournal",
            dependencies: [
                "TunerCore", "TunerStore",
                "CSQLiteShim",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // The PostgreSQL study store (postgres-nio), for workers on many hosts.
        .target(
            name: "TunerPostgres",
            dependencies: [
                "TunerCore", "TunerStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
        // The search engine: oracles, the search rules, retries, failure limits, resume.
        .target(name: "TunerEngine", dependencies: ["TunerCore", "TunerJournal", "TunerPostgres", "CTunerKernels"]),
        // Bridges the trainer and the engine: `Sequential` as a `FittableModel`, Hyperband's checkpoints.
        .target(name: "TunerTrainerCompat", dependencies: ["TunerCore", "TunerTrainer", "TunerEngine"]),
        // libxml2 from the system (Debian: libxml2-dev), for writing and validating XML.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // Reports from the journal alone: text, JUnit XML, the HTML summary, status, JSON/CSV export.
        .target(name: "TunerReports", dependencies: ["TunerCore", "TunerJournal", "CLibXML2"]),
        // `tuner serve`: the live dashboard and its JSON API over HTTP (Hummingbird). Reads journals and stores only.
        .target(
            name: "TunerServe",
            dependencies: [
                "TunerCore", "TunerJournal", "TunerPostgres", "TunerReports",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // KerasTuner projects imported into journals.
        .target(name: "TunerKerasImport", dependencies: ["TunerCore", "TunerJournal"]),
        // Study files (YAML) and the trials they describe: the built-in MLP or a command.
        .target(
            name: "TunerStudy",
            dependencies: [
                "TunerCore", "TunerJournal", "TunerPostgres", "TunerEngine", "TunerTrainer", "TunerTrainerCompat",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
        // The umbrella library: it only re-exports.
        .target(
            name: "SwiftTuner",
            dependencies: [
                "TunerRandom", "TunerCore", "TunerStore", "TunerJournal", "TunerPostgres", "TunerEngine",
                "TunerTrainer", "TunerTrainerCompat",
                "TunerReports", "TunerKerasImport", "TunerStudy",
            ]),
        // The command-line tool.
        .executableTarget(
            name: "tuner",
            dependencies: [
                "TunerCore", "TunerJournal", "TunerPostgres", "TunerEngine", "TunerReports", "TunerKerasImport",
                "TunerStudy", "TunerTrainer", "TunerServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Maintainer tools, not a product: the guide's scenarios and the sample reports.
        .executableTarget(
            name: "TunerMaintainer",
            dependencies: [
                "TunerSamples",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Helpers shared by the tests and the crash worker, on the low-level targets only.
        .target(
            name: "TunerTestSupport",
            dependencies: [
                "TunerCore", "TunerJournal", "TunerEngine", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/TunerTestSupport"),
        // The guide's scenarios on the built-in trainer and the fixture studies behind Reports/.
        .target(
            name: "TunerSamples",
            dependencies: [
                "TunerTestSupport", "TunerTrainer", "TunerTrainerCompat", "TunerReports", "TunerKerasImport",
            ], path: "Tests/TunerSamples"),
        // A child process for the crash-equivalence tests (killed at random instants).
        .executableTarget(
            name: "TunerCrashWorker", dependencies: ["TunerTestSupport"],
            path: "Tests/TunerCrashWorker"),
        // Every Swift example of the README and the documentation, compiled as written.
        .target(name: "TunerExamples", dependencies: ["SwiftTuner"], path: "Tests/TunerExamples"),

        .testTarget(name: "TunerCoreTests", dependencies: ["TunerCore"]),
        .testTarget(name: "TunerJournalTests", dependencies: ["TunerJournal", "TunerTestSupport"]),
        .testTarget(
            name: "TunerEngineTests",
            dependencies: [
                "TunerEngine", "TunerJournal", "TunerPostgres", "TunerTestSupport", "TunerCrashWorker", "CTunerKernels",
            ]),
        .testTarget(name: "TunerTrainerTests", dependencies: ["TunerTrainer", "TunerTestSupport"]),
        .testTarget(
            name: "TunerTrainerCompatTests",
            dependencies: [
                "TunerTrainerCompat", "TunerSamples", "TunerTestSupport",
            ]),
        .testTarget(
            name: "TunerReportsTests",
            dependencies: [
                "TunerReports", "TunerKerasImport", "TunerSamples", "TunerTestSupport",
            ], exclude: ["Scripts"]),
        .testTarget(
            name: "TunerKerasImportTests",
            dependencies: [
                "TunerKerasImport", "TunerReports", "TunerTestSupport",
            ]),
        .testTarget(
            name: "TunerStudyTests",
            dependencies: [
                "TunerStudy", "TunerTrainer", "TunerReports", "TunerTestSupport", "tuner",
                .product(name: "Yams", package: "Yams"),
            ]),
        .testTarget(
            name: "TunerServeTests",
            dependencies: [
                "TunerServe", "TunerCore", "TunerJournal", "TunerReports", "TunerEngine", "TunerTestSupport",
                "TunerCrashWorker",
            ], exclude: ["Scripts"]),
        .testTarget(name: "TunerExamplesTests", dependencies: ["TunerExamples", "SwiftTuner", "TunerTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
