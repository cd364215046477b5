import TunerCore
import Foundation
import XCTest

/// S32: GridSearch enumerates exactly as KerasTuner.
final class GridOrderTests: XCTestCase {
    func testS32GuideSpaceGivesTwelveTrialsInKerasTunerOrder() throws {
        let hp = HyperParameters()
        try hp.int("units_1", min: 10, max: 40, step: 10)
        try hp.int("units_2", min: 10, max: 30, step: 10)
        var configurations: [[Int]] = []
        var current: [String: HyperParameterValue]? = hp.space.defaults
        while let c = current {
            configurations.append([c["units_1"]!, c["units_2"]!].map { Int($0.doubleValue!) })
            current = hp.space.nextGridConfiguration(after: c)
        }
        XCTAssert(
            configurations == [
                [10, 10], [10, 20], [10, 30], [20, 10], [20, 20], [20, 30],
                [30, 10], [30, 20], [30, 30], [40, 10], [40, 20], [40, 30],
            ])
        XCTAssert(hp.space.gridCount() == 12)
    }

    func testS32DefaultComesFirstThenDeclaredOrder() throws {
        let hp = HyperParameters()
        try hp.choice("opt", ["sgd", "adam", "rmsprop"], default: "adam")
        var seen: [HyperParameterValue] = []
        var current: [String: HyperParameterValue]? = hp.space.defaults
        while let c = current { seen.append(c["opt"]!); current = hp.space.nextGridConfiguration(after: c) }
        XCTAssert(seen == ["adam", "sgd", "rmsprop"].map { .string($0) })
    }

    func testS32InactiveConditionalHyperparametersAreSkipped() throws {
        let hp = HyperParameters()
        try hp.choice("model", ["linear", "mlp"])
        hp.setValue(.string("mlp"), for: "model")
        try hp.conditionalScope("model", ["mlp"]) { try hp.int("units", min: 1, max: 3) }
        var seen: [String] = []
        var current: [String: HyperParameterValue]? = hp.space.defaults
        while let c = current {
            seen.append(hp.space.ordered(c).map { "\($0.name)=\($0.value)" }.joined(separator: ","))
            current = hp.space.nextGridConfiguration(after: c)
        }
        XCTAssert(seen == ["model=linear", "model=mlp,units=1", "model=mlp,units=2", "model=mlp,units=3"])
    }
}
