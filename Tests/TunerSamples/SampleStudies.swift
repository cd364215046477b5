import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerTestSupport
import TunerTrainer
import TunerTrainerCompat
import TunerReports
import TunerKerasImport

/// The fixture studies behind `Reports/`: their journals live in `Fixtures/journals/NAME/`,
/// and their reports are regenerated from those journals alone, so that `Reports/` is
/// deterministic and a test can tell when it is stale.
///
/// ```swift
/// try SampleStudies.writeReports(root: repository)      // `swift run TunerMaintainer sample-reports`
/// ```
public enum SampleStudies {
    /// The studies, in the order the reports list them.
    public static let names = [
        "guide-tolerate", "guide-failed", "guide-fatal", "iris-random", "kerastuner-guide-tolerate",
    ]

    /// A study's journal path.
    public static func journal(_ name: String, root: URL) -> String {
        root.appendingPathComponent("Fixtures/journals/\(name)/journal.sqlite").path
    }

    /// Runs the fixture studies again (new timings, so new reports): the guide's three
    /// scenarios on the built-in MLP and a RandomSearch on iris. The KerasTuner study is
    /// imported from `Fixtures/kerastuner/`. Run from the repository's root: the studies
    /// record the relative directory `Fixtures/journals`, so reports do not name the machine's paths.
    public static func rebuild(root: URL) throws {
        let directory = "Fixtures/journals"
        let data = GuideScenario.matrices()
        for scenario in GuideScenario.allCases {
            let tuner = try GridSearch(
                hypermodel: scenario.buildMLP, objective: "val_loss",
                configuration: TunerConfiguration(
                    directory: directory, projectName: "guide-\(scenario.rawValue)", maxRetriesPerTrial: 3,
                    maxConsecutiveFailedTrials: 8, seed: 1, overwrite: true, verbose: 0))
            tuner.handlesSignals = false
            _ = try? tuner.search(x: data.x, y: data.y, validationData: data.validation, epochs: 10)
        }
        let iris = try Dataset.loadCSV(
            root.appendingPathComponent("Fixtures/data/iris.csv").path, targets: ["species"], oneHot: true)
        let (train, validation) = iris.split(validationFraction: 0.2, seed: 7)
        let stats = train.x.columnStatistics()
        let x = train.x.standardized(mean: stats.mean, std: stats.std)
        let xv = validation.x.standardized(mean: stats.mean, std: stats.std)
        let tuner = try RandomSearch(
            hypermodel: irisModel, objective: "val_accuracy",
            configuration: TunerConfiguration(
                directory: directory, projectName: "iris-random", maxTrials: 12, maxRetriesPerTrial: 1,
                maxConsecutiveFailedTrials: 4, seed: 7, overwrite: true, verbose: 0))
        tuner.handlesSignals = false
        try tuner.search(x: x, y: train.y, validationData: (xv, validation.y), epochs: 40)
        try KerasTunerImport.importProject(
            at: "Fixtures/kerastuner/guide-tolerate",
            into: journal("kerastuner-guide-tolerate", root: URL(fileURLWithPath: ".")))
    }

    /// The iris hypermodel: units, activation, dropout and learning rate; models over 500
    /// parameters are refused with `FailedTrialError` (a budget).
    public static func irisModel(_ hp: HyperParameters) throws -> Sequential {
        let units = try hp.int("units", min: 8, max: 96, step: 8)
        let activation = try hp.choice("activation", ["relu", "tanh"])
        let dropout = try hp.float("dropout", min: 0, max: 0.4, step: 0.1)
        let learningRate = try hp.float("learning_rate", min: 1e-3, max: 1e-1, sampling: .log)
        let model = try Sequential([
            Dense(units, activation: activation == "relu" ? .relu : .tanh, inputSize: 4), Dropout(dropout),
            Dense(3, activation: .softmax),
        ])
        if model.parameterCount > 500 {
            throw FailedTrialError("over the 500-parameter budget: \(model.parameterCount) parameters")
        }
        model.compile(
            optimizer: .adam(learningRate: learningRate), loss: .categoricalCrossentropy, metrics: [.accuracy])
        return model
    }

    /// Every report file of the fixture studies: file name → content.
    public static func renderReports(root: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        var snapshots: [StudySnapshot] = []
        for name in names {
            let path = journal(name, root: root)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let journal = try StudyJournal.openForReading(at: path)
            let snapshot = try StudySnapshot(journal: journal)
            snapshots.append(snapshot)
            files["\(name).html"] = Data(HTMLReport(snapshot: snapshot).render().utf8)
            files["\(name).junit.xml"] = try JUnitReport(snapshots: [snapshot]).document()
            files["\(name).summary.txt"] = Data((try journal.resultsSummary() + "\n").utf8)
        }
        files["all-studies.junit.xml"] = try JUnitReport(snapshots: snapshots).document()
        return files
    }

    /// Writes the reports into `Reports/`; returns the files written.
    @discardableResult
    public static func writeReports(root: URL) throws -> [String] {
        let folder = root.appendingPathComponent("Reports")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let files = try renderReports(root: root)
        for (name, data) in files.sorted(by: { $0.key < $1.key }) {
            try data.write(to: folder.appendingPathComponent(name))
        }
        return files.keys.sorted()
    }
}
