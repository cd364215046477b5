import Foundation
import TunerRandom
import TunerTestSupport
@testable import TunerTrainer
import XCTest

/// CSV loading with errors that name the line and column; the shipped datasets; convergence.
final class DatasetTests: XCTestCase {
    static let data = repositoryRoot.appendingPathComponent("Fixtures/data")

    let directory = TemporaryDirectory()

    func csv(_ text: String) throws -> String {
        let path = directory.file("data-\(UUID().uuidString).csv")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func assertError(
        _ text: String, _ expected: String, targets: [String] = ["y"], oneHot: Bool = false,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let path = try csv(text)
        XCTAssertThrowsError(try Dataset.loadCSV(path, targets: targets, oneHot: oneHot), file: file, line: line) {
            error in
            XCTAssert(error is DataError, file: file, line: line)
            XCTAssert("\(error)".contains(expected), "\(error)", file: file, line: line)
            XCTAssert("\(error)".hasPrefix(path), file: file, line: line)
        }
    }

    func testBadFilesNameTheLineAndColumn() throws {
        try assertError("", "the file is empty")
        try assertError("a,b,y\n", "header but no rows")
        try assertError("a,b,y\n1,2,3\n4,5\n", "line 3: the row has 2 fields, the header 3")
        try assertError("a,b,y\n1,2,3\n4,abc,6\n", "line 3, column 'b' (2): \"abc\" is not a number")
        try assertError("a,b,y\n1,,3\n", "line 2, column 'b' (2): the cell is empty")
        try assertError("a,b,y\n1,nan,3\n", "column 'b' (2): \"nan\" is not a finite number")
        try assertError("a,b,y\n1,2,3\n", "no column named 'z'", targets: ["z"])
        try assertError("a,a,y\n1,2,3\n", "names column 'a' twice")
        try assertError("a,b,y\n1,2,3\n", "at least two classes", oneHot: true)
        XCTAssertThrowsError(try Dataset.loadCSV(directory.file("missing.csv"), targets: ["y"])) {
            XCTAssert("\($0)".contains("cannot read the file"))
        }
    }

    func testOneHotAndCRLF() throws {
        let data = try Dataset.loadCSV(try csv("x,label\r\n1,2\r\n3,0\r\n5,2\r\n"), targets: ["label"], oneHot: true)
        XCTAssertEqual(data.targetNames, ["label=0", "label=2"])
        XCTAssertEqual(data.y.storage, [0, 1, 1, 0, 0, 1])
        XCTAssertEqual(data.x.storage, [1, 3, 5])
    }

    func testTheShippedDatasetsLoad() throws {
        let diabetes = try Dataset.loadCSV(
            Self.data.appendingPathComponent("diabetes.csv").path, targets: ["progression"])
        XCTAssertEqual(diabetes.x.rows, 442)
        XCTAssertEqual(diabetes.x.columns, 10)
        let iris = try Dataset.loadCSV(
            Self.data.appendingPathComponent("iris.csv").path, targets: ["species"], oneHot: true)
        XCTAssertEqual(iris.x.rows, 150)
        XCTAssertEqual(iris.y.columns, 3)
    }

    /// Diabetes: a (64, 32) ReLU network, 100 epochs, on standardized data. Predicting the
    /// mean gives a validation MSE of about 1.0 (the target's variance); the network's best
    /// epoch reaches 0.59 and its last 0.75, as it overfits (train MSE 0.16); scikit-learn's
    /// MLPRegressor ends at 0.77 on the same split.
    func testTrainingOnDiabetesBeatsTheMeanByFar() throws {
        let data = try Dataset.loadCSV(Self.data.appendingPathComponent("diabetes.csv").path, targets: ["progression"])
        let (train, validation) = data.split(validationFraction: 0.2, seed: 7)
        let xs = train.x.columnStatistics(), ys = train.y.columnStatistics()
        let model = try Sequential([
            Dense(64, activation: .relu, inputSize: 10), Dense(32, activation: .relu), Dense(1),
        ])
        model.compile(optimizer: .adam(), loss: .meanSquaredError, metrics: [.meanAbsoluteError])
        let history = try model.fit(
            x: train.x.standardized(mean: xs.mean, std: xs.std), y: train.y.standardized(mean: ys.mean, std: ys.std),
            epochs: 100,
            validationData: (
                validation.x.standardized(mean: xs.mean, std: xs.std),
                validation.y.standardized(mean: ys.mean, std: ys.std)
            ), seed: 0)
        let best = history["val_loss"].min()!
        print("diabetes: val MSE \(history["val_loss"].last!), best \(best), train MSE \(history["loss"].last!)")
        XCTAssertLessThan(best, 0.65)
        XCTAssertLessThan(history["loss"].last!, 0.45)
    }

    /// Iris: one hidden layer of 32 ReLU units and a softmax, 200 epochs: 93% validation
    /// accuracy (28 of 30), cross-entropy 0.15.
    func testTrainingOnIrisClassifiesWell() throws {
        let data = try Dataset.loadCSV(
            Self.data.appendingPathComponent("iris.csv").path, targets: ["species"], oneHot: true)
        let (train, validation) = data.split(validationFraction: 0.2, seed: 7)
        let xs = train.x.columnStatistics()
        let model = try Sequential([Dense(32, activation: .relu, inputSize: 4), Dense(3, activation: .softmax)])
        model.compile(optimizer: .adam(), loss: .categoricalCrossentropy, metrics: [.accuracy])
        let history = try model.fit(
            x: train.x.standardized(mean: xs.mean, std: xs.std), y: train.y, epochs: 200,
            validationData: (validation.x.standardized(mean: xs.mean, std: xs.std), validation.y), seed: 0)
        print("iris: val accuracy \(history["val_accuracy"].last!), val loss \(history["val_loss"].last!)")
        XCTAssertGreaterThanOrEqual(history["val_accuracy"].last!, 0.9)
        XCTAssertLessThan(history["val_loss"].last!, 0.3)
    }

    func testSparseLabelsMatchOneHot() throws {
        let data = try Dataset.loadCSV(Self.data.appendingPathComponent("iris.csv").path, targets: ["species"])
        let model = try Sequential([Dense(8, activation: .relu, inputSize: 4), Dense(3, activation: .softmax)])
        model.compile(optimizer: .adam(learningRate: 0.01), loss: .sparseCategoricalCrossentropy, metrics: [.accuracy])
        let history = try model.fit(x: data.x, y: data.y, epochs: 50, seed: 1)
        XCTAssertGreaterThan(history["accuracy"].last!, 0.8)
    }
}
