import CTunerKernels
import Foundation
@testable import TunerEngine
import XCTest

/// The parallel parts of the Bayesian oracle: every index once, and no more parts than the CPUs
/// the process may use.
final class ParallelWorkTests: XCTestCase {
    func testEveryIndexRunsOnce() {
        // Each index counts in its own slot, as the oracle's parts write their own results.
        let counts = SharedBuffer(buffer: UnsafeMutableBufferPointer<Int>.allocate(capacity: 37))
        counts.buffer.initialize(repeating: 0)
        defer { counts.buffer.deallocate() }
        ParallelWork.forEach(37) { index in counts.buffer[index] += 1 }
        XCTAssertEqual(Array(counts.buffer), [Int](repeating: 1, count: 37))
        ParallelWork.forEach(0) { _ in XCTFail("no index") }
    }

    /// The affinity mask is what Linux reports in /proc/self/status (`Cpus_allowed_list`).
    func testTheAllowedCPUsAreTheAffinityMask() throws {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
            throw XCTSkip("no /proc/self/status: not Linux")
        }
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        let list = line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)
        let count = list.split(separator: ",").reduce(0) { total, range in
            let ends = range.split(separator: "-").compactMap { Int($0) }
            return total + (ends.count == 2 ? ends[1] - ends[0] + 1 : 1)
        }
        XCTAssertEqual(Int(swifttuner_allowed_cpus()), count)
        XCTAssertEqual(ParallelWork.width, max(1, min(8, count)))
    }
}
