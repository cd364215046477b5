// swift-tools-version:6.1
import PackageDescription

// The side-by-side benchmarks, a package of their own so that the project's users never build
// them: `swift run -c release --package-path Benchmarks TunerBenchmarks journal` (see README.md).
let package = Package(
    name: "SwiftTunerBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "SwiftTuner", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .executableTarget(
            name: "TunerBenchmarks",
            dependencies: [
                .product(name: "SwiftTuner", package: "SwiftTuner"),
                .product(name: "SwiftTunerServe", package: "SwiftTuner"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ], exclude: ["peers"]),
        // Trivial trials and nothing else, for callgrind (run by `TunerBenchmarks journal`).
        .executableTarget(
            name: "TunerTrialPath", dependencies: [.product(name: "SwiftTuner", package: "SwiftTuner")]),
    ],
    swiftLanguageModes: [.v6]
)
