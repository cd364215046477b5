import CTunerKernels
import Dispatch
import Foundation

/// Work of one call split across the CPU's cores, each part writing only its own results, so
/// that the results are the same bits whatever the number of cores. No thread outlives the call.
enum ParallelWork {
    /// The parts that run at once: the CPUs this process may run on (a worker bound to one core
    /// by `taskset` or a cluster scheduler uses one), at most 8.
    static let width: Int = {
        let allowed = Int(swifttuner_allowed_cpus())
        return max(1, min(8, allowed > 0 ? allowed : ProcessInfo.processInfo.activeProcessorCount))
    }()

    /// Calls `body` with every index in `0..<count`, on up to ``width`` threads, and returns when
    /// all have run.
    static func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
        guard count > 1, width > 1 else {
            for index in 0..<max(0, count) { body(index) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
}

/// A buffer that the parts of one ``ParallelWork`` call fill, each its own elements.
struct SharedBuffer<Element>: @unchecked Sendable {
    /// The elements.
    let buffer: UnsafeMutableBufferPointer<Element>
}
