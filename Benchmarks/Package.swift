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
    ],
    targets: [
        .executableTarget(
            name: "TunerBenchmarks",
            dependencies: [
                .product(name: "SwiftTuner", package: "SwiftTuner"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], exclude: ["peers"])
    ],
    swiftLanguageModes: [.v6]
)
