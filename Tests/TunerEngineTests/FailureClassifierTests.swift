import Foundation
@testable import TunerEngine
import TunerRandom
import XCTest

/// The failure classifier behind the Bayesian optimization's failure awareness.
final class FailureClassifierTests: XCTestCase {
    /// Random points of [0, 1]⁶ split by a region bounded along one axis (x0 > 0.75).
    func sample(_ count: Int, seed: UInt64) -> (failed: [[Double]], completed: [[Double]]) {
        var rng = SplitMix64(seed: seed)
        var failed: [[Double]] = [], completed: [[Double]] = []
        for _ in 0..<count {
            let x = (0..<6).map { _ in rng.nextDouble() }
            if x[0] > 0.75 { failed.append(x) } else { completed.append(x) }
        }
        return (failed, completed)
    }

    func testNothingFailedMeansNoRisk() {
        let classifier = FailureClassifier(failed: [], completed: [[0.1, 0.2], [0.5, 0.5]])
        XCTAssertEqual(classifier.probability([0.9, 0.9]), 0)
    }

    func testAFewFailuresRevealARegionBoundedAlongOneAxisInSixDimensions() {
        let (failed, completed) = sample(16, seed: 11)
        XCTAssertGreaterThanOrEqual(failed.count, 2)
        let classifier = FailureClassifier(failed: failed, completed: completed)
        var rng = SplitMix64(seed: 99)
        var inside: [Double] = [], outside: [Double] = []
        for _ in 0..<400 {
            let x = (0..<6).map { _ in rng.nextDouble() }
            let p = classifier.probability(x)
            XCTAssert((0...1).contains(p))
            if x[0] > 0.8 { inside.append(p) } else if x[0] < 0.6 { outside.append(p) }
        }
        let meanInside = inside.reduce(0, +) / Double(inside.count)
        let meanOutside = outside.reduce(0, +) / Double(outside.count)
        XCTAssertGreaterThan(meanInside, 0.4, "points of the failing region are deemed likely to fail")
        XCTAssertLessThan(meanOutside, 0.1, "points far from it are not")
        XCTAssertGreaterThan(meanInside, 5 * meanOutside)
    }

    func testTheNeighbourhoodEstimateFindsARegionNoSingleAxisBounds() {
        // Failures on a diagonal band; completed trials on both sides in every coordinate.
        var failed: [[Double]] = [], completed: [[Double]] = []
        for i in 0..<10 {
            let t = Double(i) / 9
            failed.append([t, t])
            completed.append([t, min(1, t + 0.5)])
            completed.append([t, max(0, t - 0.5)])
        }
        let classifier = FailureClassifier(failed: failed, completed: completed, lengthScale: 0.1)
        XCTAssertGreaterThan(classifier.neighbourhood([0.45, 0.45]), 0.6)
        XCTAssertLessThan(classifier.neighbourhood([0.2, 0.8]), 0.3)
        XCTAssertGreaterThan(
            classifier.probability([0.45, 0.45]), classifier.perDimension([0.45, 0.45]) + 0.2,
            "the larger estimate wins")
    }

    /// The densities read contiguous columns; each is the same bits as the sum over the points'
    /// coordinates in order (proposals re-derive from a journal, S30).
    func testColumnDensitiesAreTheTextbookSums() {
        var rng = SplitMix64(seed: 5)
        for count in [0, 1, 7, 300] {
            let points = (0..<count).map { _ in (0..<3).map { _ in rng.nextDouble() } }
            for dimension in 0..<3 {
                let value = rng.nextDouble()
                let h = FailureClassifier.bandwidth(points.count)
                var sum = 1.0
                for point in points {
                    let z = (value - point[dimension]) / h
                    sum += Foundation.exp(-0.5 * z * z) / (h * 2.5066282746310002)
                }
                let expected = sum / Double(points.count + 1)
                XCTAssertEqual(
                    FailureClassifier.density(points.map { $0[dimension] }, value).bitPattern, expected.bitPattern)
            }
        }
    }
}
