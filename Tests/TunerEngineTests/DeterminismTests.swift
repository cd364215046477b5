import TunerCore
import TunerJournal
import TunerEngine
import TunerTestSupport
import XCTest

/// SEMANTICS section 6: S30, S31, S33.
final class DeterminismTests: XCTestCase {
    func testS30ProposalsArePureFunctionsOfSeedNumberAndHistory() throws {
        let space = try FlakyWorkload.space().space
        let oracle = RandomSearchOracle()
        var history = OracleHistory()
        for n in 0..<20 {
            let a = try XCTUnwrap(oracle.propose(trial: n, space: space, history: history, seed: 5))
            let b = try XCTUnwrap(oracle.propose(trial: n, space: space, history: history, seed: 5))
            XCTAssertEqual(a, b)
            history.append(OracleTrial(number: n, values: a, status: .completed, score: 1))
        }
        // Two searches with one seed propose the same trials.
        let h = Harness(), g = Harness()
        try h.tuner(oracle: RandomSearchOracle(), space: try FlakyWorkload.space(), maxTrials: 15, seed: 5).search(
            FlakyWorkload().run)
        try g.tuner(oracle: RandomSearchOracle(), space: try FlakyWorkload.space(), maxTrials: 15, limit: nil, seed: 5)
            .search(FlakyWorkload().run)
        XCTAssertEqual(
            try summaries(h.reader()).map(\.values).prefix(10), try summaries(g.reader()).map(\.values).prefix(10))
    }

    func testS31EveryTrialHasASeedSharedByItsAttempts() throws {
        let h = Harness()
        let tuner = try h.tuner(maxTrials: 3, retries: 2, seed: 11)
        let body = ScriptedBody { _, retry in retry < 2 ? .error("again") : nil }
        try tuner.search(body.run)
        let seeds = Dictionary(grouping: body.calls, by: \.trial).mapValues { Set($0.map(\.seed)) }
        XCTAssert(seeds.values.allSatisfy { $0.count == 1 })
        XCTAssertEqual(Set(seeds.values.map { $0.first! }).count, 3)
        XCTAssertEqual(try h.reader().trials().map(\.trialSeed), (0..<3).map { SplitMix64.mix(11, UInt64($0)) })
        // Same seed and data, same score, bit for bit.
        let g = Harness()
        try g.tuner(maxTrials: 3, seed: 11).search(FlakyWorkload(errorRate: 0, failedRate: 0, nanRate: 0).run)
        let k = Harness()
        try k.tuner(maxTrials: 3, seed: 11).search(FlakyWorkload(errorRate: 0, failedRate: 0, nanRate: 0).run)
        XCTAssertEqual(try g.reader().trials().map(\.score), try k.reader().trials().map(\.score))
    }

    func testS33RandomSearchNeverRepeatsAndCompletesWhenExhausted() throws {
        let h = Harness()
        let tuner = try h.tuner(oracle: RandomSearchOracle(), space: try lineSpace(6), maxTrials: 50, limit: nil)
        let outcome = try tuner.search(ScriptedBody { trial, _ in trial % 2 == 0 ? .failedTrial("odd") : nil }.run)
        XCTAssertEqual(outcome.stopReason, .completed)
        let values = try h.reader().trials().map(\.hyperparameters)
        XCTAssertEqual(values.count, 6)
        XCTAssertEqual(Set(values).count, 6)
    }

    func testGridSearchResumesWhereItStopped() throws {
        let h = Harness()
        try h.tuner(space: try lineSpace(6), maxTrials: 3).search(ScriptedBody().run)
        try h.tuner(space: try lineSpace(6)).search(ScriptedBody().run)
        XCTAssertEqual(try h.reader().trials().map(\.hyperparameters), (0..<6).map { "{\"x\":\($0)}" })
    }
}
