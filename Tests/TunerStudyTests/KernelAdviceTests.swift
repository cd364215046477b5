import Foundation
import TunerTestSupport
import TunerTrainer
import XCTest

@testable import tuner

/// `tuner` says once when the built-in trainer runs slower kernels than the machine could,
/// and how to get the faster ones; never for a build that runs the fastest it can.
final class KernelAdviceTests: XCTestCase {
    func testTheSentenceNamesTheFasterBuild() throws {
        let native: Set<String> = ["sse2", "avx2", "fma"], plain: Set<String> = ["sse2"]
        let debug = try XCTUnwrap(KernelAdvice.sentence(build: .debug, cpuFlags: native))
        XCTAssert(debug.contains("swift run -c release tuner"), debug)
        XCTAssert(debug.contains("AVX2 and FMA"), debug)
        XCTAssertFalse(try XCTUnwrap(KernelAdvice.sentence(build: .debug, cpuFlags: plain)).contains("AVX2"))
        // A release build on an AVX2 CPU runs the portable kernels only when told to.
        let portable = try XCTUnwrap(KernelAdvice.sentence(build: .portable, cpuFlags: native))
        XCTAssert(portable.contains("SWIFTTUNER_KERNELS=portable"), portable)
        XCTAssertNil(KernelAdvice.sentence(build: .portable, cpuFlags: plain), "nothing faster to build")
        XCTAssertNil(KernelAdvice.sentence(build: .dispatched, cpuFlags: native))
        XCTAssertNil(KernelAdvice.sentence(build: .native, cpuFlags: native))
    }

    func testASearchOfTheBuiltInModelSaysItOnce() throws {
        let scratch = TemporaryDirectory()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let study = root.appendingPathComponent("Fixtures/studies/seed-guide-tolerate.yaml").path
        let run = try ChildProcess.run(
            CommandLineTests.binary, ["search", study, "--max-trials", "2"], in: scratch.path)
        XCTAssertEqual(run.code, 0, run.stderr)
        // The binary was built as this test was: the same advice, or none for a build that
        // already runs the fastest kernels this machine can.
        let advice = KernelAdvice.sentence(build: Kernels.build, cpuFlags: KernelAdvice.cpuFlags())
        XCTAssertEqual(
            run.stderr.components(separatedBy: "note: ").count - 1, advice == nil ? 0 : 1, run.stderr)
        if let advice { XCTAssert(run.stderr.contains(advice), run.stderr) }
        let quiet = try ChildProcess.run(
            CommandLineTests.binary, ["search", study, "--max-trials", "3", "--verbose", "0"], in: scratch.path)
        XCTAssertFalse(quiet.stderr.contains("note:"), "--verbose 0 prints errors only")
    }
}
