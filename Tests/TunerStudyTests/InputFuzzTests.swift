import Foundation
import TunerCore
import TunerJournal
import TunerEngine
import TunerReports
import TunerStudy
import TunerTrainer
import TunerTestSupport
import XCTest

/// Bad input gets a message, never a signal (section 3 of the hardening issue, S7 of the
/// contract's range checks): every value the issue found that killed the process is refused
/// with its place, and seeded mutations of the fixture study files and CSVs never crash, hang
/// or leave a journal for refused input.
final class InputFuzzTests: XCTestCase {
    static let root = repositoryRoot
    let scratch = TemporaryDirectory()

    let base = """
        study: s
        tuner: grid
        objective: val_loss
        max_retries_per_trial: 1
        search_space:
          - {name: units, type: int, min: 8, max: 32, step: 8}
          - {name: lr, type: float, min: 0.001, max: 0.1, sampling: log}
        trial:
          model:
            layers: [{units: $units, activation: relu}, {units: 1}]
            loss: mean_squared_error
            optimizer: {name: adam, learning_rate: $lr}
          fit: {epochs: 2, batch_size: 8}
          constraints: [{max_parameters: 5000, error: failed}]
          data: {random: {rows: 20, features: 3, seed: 1}, validation_random: {rows: 10, seed: 2}}
        """

    func check(_ text: String) throws {
        let study = try StudyFile.parse(text, path: scratch.file("s.yaml"))
        try StudyRun(study: study, verbose: 0, output: CapturedOutput(), handlesSignals: false).check()
    }

    /// The values that killed the process, each refused with its line and field.
    func testEveryValueTheIssueFoundIsRefusedWithItsPlace() throws {
        let cases: [(String, String, String)] = [
            ("max_retries_per_trial: 1", "max_retries_per_trial: 9223372036854775807", "max_retries_per_trial"),
            (
                "{random: {rows: 20, features: 3, seed: 1}", "{random: {rows: 20, features: 3, seed: -4}",
                "a seed must be 0 or more"
            ),
            (
                "{random: {rows: 20, features: 3, seed: 1}", "{random: {rows: 9000000, features: 9000000, seed: 1}",
                "too large to generate"
            ),
            ("validation_random: {rows: 10, seed: 2}", "validation_random: {rows: 0, seed: 2}", "must be from 1"),
            (
                "validation_random: {rows: 10, seed: 2}", "validation_random: {rows: 10, seed: -2}",
                "a seed must be 0 or more"
            ),
            (
                "{name: units, type: int, min: 8, max: 32, step: 8}",
                "{name: units, type: int, min: -9223372036854775807, max: 9223372036854775807}",
                "wider than an integer can count"
            ),
            (
                "{name: lr, type: float, min: 0.001, max: 0.1, sampling: log}",
                "{name: lr, type: float, min: 0, max: 1, step: 1e-300}", "too small"
            ),
            (
                "{name: lr, type: float, min: 0.001, max: 0.1, sampling: log}",
                "{name: lr, type: float, min: -1.7e308, max: 1.7e308}", "wider than a float can hold"
            ),
            ("{units: $units, activation: relu}", "{units: 99999999999, activation: relu}", "units must be from 1"),
            ("epochs: 2", "epochs: 99999999999", "must be from 1"),
            ("max_parameters: 5000", "max_parameters: -1", "must be at least 1"),
            ("tuner: grid", "tuner: hyperband\nmax_epochs: 9223372036854775807", "max_epochs"),
            ("tuner: grid", "tuner: hyperband\nfactor: 9223372036854775807", "factor"),
        ]
        for (old, new, expected) in cases {
            let text = base.replacingOccurrences(of: old, with: new)
            XCTAssertNotEqual(text, base, old)
            XCTAssertThrowsError(try check(text), new) { error in
                XCTAssert("\(error)".contains(expected), "\(new): \(error)")
                if let error = error as? StudyFileError { XCTAssertNotNil(error.line, "\(new): \(error)") }
            }
        }
        let command = """
            study: c
            objective: val_loss
            search_space: [{name: x, type: int, min: 0, max: 2}]
            trial: {command: "true", timeout: TIMEOUT, exit_codes: {failed: FAILED}}
            """
        for (timeout, failed, expected) in [
            ("18000000000", "3", "a timeout is more than 0"), ("10", "1099511627776", "an exit code is from 1 to 255"),
            ("10", "-3", "an exit code is from 1 to 255"),
        ] {
            let text = command.replacingOccurrences(of: "TIMEOUT", with: timeout).replacingOccurrences(
                of: "FAILED", with: failed)
            XCTAssertThrowsError(try check(text)) { XCTAssert("\($0)".contains(expected), "\($0)") }
        }
        XCTAssertThrowsError(
            try check(
                base.replacingOccurrences(of: "activation: relu}", with: "activation: $act}")
                    .replacingOccurrences(
                        of: "search_space:\n",
                        with: "search_space:\n  - {name: act, type: choice, values: [relu, sparkle]}\n"))
        ) {
            XCTAssert("\($0)".contains("activation names"), "\($0)")
        }
        XCTAssertThrowsError(try StudyFile.load(try writeBytes("bad.yaml", Array("study: s\n".utf8) + [0xC3, 0x28]))) {
            XCTAssert("\($0)".contains("offset 9"), "\($0)")
        }
    }

    func writeBytes(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = scratch.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testCSVValuesBeyondFloatAndClassLabels() throws {
        let big = try writeBytes("big.csv", Array("a,y\n1,2\n3,1e39\n".utf8))
        XCTAssertThrowsError(try Dataset.loadCSV(big, targets: ["y"])) {
            XCTAssert(
                "\($0)".contains("line 3, column 'y' (2): \"1e39\" is beyond the range of a 32-bit float"), "\($0)")
        }
        let fractional = try writeBytes("frac.csv", Array("a,y\n1,0\n2,1\n3,2.5\n".utf8))
        XCTAssertThrowsError(try Dataset.loadCSV(fractional, targets: ["y"], oneHot: true)) {
            XCTAssert("\($0)".contains("line 4, column 'y' (2): one_hot needs whole-number class labels"), "\($0)")
        }
        let names = try writeBytes(
            "names.csv", Array("a,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n".utf8))
        let data = try Dataset.loadCSV(names, targets: ["species"], oneHot: true)
        XCTAssertEqual(
            data.targetNames, ["species=setosa", "species=versicolor", "species=virginica"], "sorted class names")
        XCTAssertEqual(data.y.rows, 4)
        XCTAssertEqual((0..<3).map { data.y[1, $0] }, [1, 0, 0], "setosa is class 0")
        let binary = try writeBytes("binary.csv", Array("a,y\n1,2\n".utf8) + [0xFF] + Array("\n".utf8))
        XCTAssertThrowsError(try Dataset.loadCSV(binary, targets: ["y"])) {
            XCTAssert("\($0)".contains("offset 8"), "\($0)")
        }
    }

    func testAModelOverItsConstraintIsRefusedBeforeAnyAllocation() async throws {
        let huge = base.replacingOccurrences(
            of: "{units: $units, activation: relu}", with: "{units: 1000000, activation: relu}, {units: 1000000}")
        let study = try StudyFile.parse(huge, path: scratch.file("s.yaml"))
        let clock = Date()
        let outcome = try await StudyRun(study: study, verbose: 0, output: CapturedOutput(), handlesSignals: false)
            .search(maxTrials: 1, maxConsecutiveFailedTrials: .some(nil))
        XCTAssertLessThan(Date().timeIntervalSince(clock), 5, "a trillion-parameter model is refused, not allocated")
        XCTAssertEqual(outcome.stopReason, .completed)
        let journal = try StudyJournal.openForReading(at: study.journalPath)
        XCTAssertEqual(try journal.trials().first?.status, .failed)
        XCTAssert(try journal.trials().first?.message?.contains("It contains 1000006000001 params") ?? false)
    }

    // MARK: - Mutations

    static let values = [
        "0", "-1", "-9223372036854775808", "9223372036854775807", "99999999999999999999", "1e39", "1e308",
        "-1e308", "1e-320", ".nan", ".inf", "-.inf", "1.5", "\"x\"", "[]", "{}", "~", "''", "$units", "$nope",
        "{a: 1}", "[1, 2]", "true", "none",
    ]

    /// A mutated copy: a number, scalar or key replaced, a line dropped or doubled, bytes changed.
    static func mutate(_ text: String, _ rng: inout SplitMix64) -> [UInt8] {
        var lines = text.components(separatedBy: "\n")
        let at = rng.nextInt(below: lines.count)
        switch rng.nextInt(below: 6) {
        case 0, 1:
            // Replace a scalar after a ": " or inside a flow mapping.
            var line = lines[at]
            let separators = line.ranges(of: ": ")
            if let range = separators.isEmpty ? nil : separators[rng.nextInt(below: separators.count)] {
                let rest = line[range.upperBound...]
                let end = rest.firstIndex(where: { ",}]".contains($0) }) ?? rest.endIndex
                line.replaceSubrange(range.upperBound..<end, with: values[rng.nextInt(below: values.count)])
                lines[at] = line
            }
        case 2: lines.remove(at: at)
        case 3: lines.insert(lines[at], at: at)
        case 4:
            var bytes = Array(lines.joined(separator: "\n").utf8)
            for _ in 0..<(1 + rng.nextInt(below: 3)) where !bytes.isEmpty {
                bytes[rng.nextInt(below: bytes.count)] = UInt8(rng.nextInt(below: 256))
            }
            return bytes
        default:
            let keys = [
                "rows", "features", "epochs", "batch_size", "units", "min", "max", "step", "max_trials", "seed",
                "validation_split", "dropout", "timeout", "max_parameters", "factor", "max_epochs", "learning_rate",
            ]
            lines[at] = lines[at].replacingOccurrences(
                of: keys[rng.nextInt(below: keys.count)], with: keys[rng.nextInt(below: keys.count)])
        }
        return Array(lines.joined(separator: "\n").utf8)
    }

    var fuzzSeed: UInt64 {
        ProcessInfo.processInfo.environment["SWIFTTUNER_FUZZ_SEED"].flatMap(UInt64.init) ?? 20261202
    }

    /// Hundreds of mutated study files, read and checked in this process: a crash here stops the
    /// test run, so passing means no value crashes; each check ends quickly.
    func testMutatedStudyFilesGiveMessagesNeverCrashes() async throws {
        var rng = SplitMix64(seed: fuzzSeed)
        let fixtures =
            try ["seed-guide-tolerate", "iris-random", "iris-hyperband", "branin-bayesian", "command-example"].map {
                try String(
                    contentsOfFile: Self.root.appendingPathComponent("Fixtures/studies/\($0).yaml").path,
                    encoding: .utf8)
            } + [base]
        var refused = 0, accepted = 0
        let folder = Self.root.appendingPathComponent("Fixtures/studies").path
        for round in 0..<400 {
            var bytes = Array(fixtures[round % fixtures.count].utf8)
            for _ in 0..<(1 + rng.nextInt(below: 3)) {
                bytes = Self.mutate(String(decoding: bytes, as: UTF8.self), &rng)
            }
            let path = (folder as NSString).appendingPathComponent("../../.build/fuzz-\(round % 8).yaml")
            let clock = Date()
            do {
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw StudyFileError(path: path, "not UTF-8")
                }
                let study = try StudyFile.parse(text, path: (folder as NSString).appendingPathComponent("mutated.yaml"))
                try StudyRun(study: study, verbose: 0, output: CapturedOutput(), handlesSignals: false).check()
                _ = study.space.gridCount(limit: 10_000)
                var draw = SplitMix64(seed: 1)
                _ = study.space.sample(using: &draw)
                // An accepted file runs: two trials, in a folder of their own.
                var run = study
                run.directory = scratch.file("run-\(round)")
                _ = try? await StudyRun(study: run, verbose: 0, output: CapturedOutput(), handlesSignals: false)
                    .search(maxTrials: 2, maxConsecutiveFailedTrials: .some(nil))
                accepted += 1
            } catch let error as StudyFileError {
                XCTAssertFalse(error.description.isEmpty)
                refused += 1
            } catch {
                XCTAssertFalse("\(error)".isEmpty)
                refused += 1
            }
            XCTAssertLessThan(Date().timeIntervalSince(clock), 10, "round \(round) took too long (seed \(fuzzSeed))")
        }
        print("fuzz (seed \(fuzzSeed)): 400 mutated study files, \(refused) refused, \(accepted) accepted")
        XCTAssertGreaterThan(refused, 100)
    }

    func testMutatedCSVsGiveMessagesNeverCrashes() throws {
        var rng = SplitMix64(seed: fuzzSeed &+ 1)
        let iris = try String(
            contentsOfFile: Self.root.appendingPathComponent("Fixtures/data/iris.csv").path, encoding: .utf8)
        let lines = iris.components(separatedBy: "\n")
        let cells = [
            "", "1e39", "-1e39", "nan", "inf", "x", "\"", "1,2", "9223372036854775807", "1e-320", "  3 ", "0x10",
        ]
        let header = lines[0].components(separatedBy: ",")
        var refused = 0
        for round in 0..<200 {
            var rows = Array(lines.prefix(30))
            let row = 1 + rng.nextInt(below: rows.count - 1)
            var fields = rows[row].components(separatedBy: ",")
            fields[rng.nextInt(below: fields.count)] = cells[rng.nextInt(below: cells.count)]
            rows[row] = fields.joined(separator: ",")
            if rng.nextInt(below: 4) == 0 { rows.remove(at: 1 + rng.nextInt(below: rows.count - 1)) }
            var bytes = Array(rows.joined(separator: "\n").utf8)
            if rng.nextInt(below: 5) == 0 { bytes[rng.nextInt(below: bytes.count)] = UInt8(rng.nextInt(below: 256)) }
            let path = try writeBytes("mutated-\(round % 4).csv", bytes)
            do {
                _ = try Dataset.loadCSV(path, targets: [header.last ?? "species"], oneHot: rng.nextInt(below: 2) == 0)
            } catch let error as DataError {
                XCTAssert(error.description.hasPrefix(path), error.description)
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, 50)
    }

    /// Refused inputs through the command: exit 1 with the file named, no signal, no journal.
    func testRefusedInputsThroughTheCommandExit1AndCreateNoJournal() throws {
        var rng = SplitMix64(seed: fuzzSeed &+ 2)
        var ran = 0
        for _ in 0..<200 where ran < 30 {
            let bytes = Self.mutate(base, &rng)
            guard let text = String(validating: bytes, as: UTF8.self), (try? check(text)) == nil else { continue }
            let path = try writeBytes("refused.yaml", bytes)
            let run = try ChildProcess.run(
                CommandLineTests.binary, ["search", path, "--verbose", "0"], in: scratch.path,
                stdout: .discard)
            let stderr = run.stderr
            XCTAssert(run.exited, "killed by a signal: \(text)")
            XCTAssertEqual(run.code, 1, "\(text)\n\(stderr)")
            XCTAssertFalse(stderr.contains("Fatal error"), stderr)
            XCTAssert(stderr.contains("refused.yaml"), stderr)
            XCTAssertFalse(
                FileManager.default.fileExists(atPath: scratch.file(".tuner")), "a journal for refused input: \(text)")
            ran += 1
        }
        XCTAssertEqual(ran, 30)
    }
}

extension InputFuzzTests {
    /// String class labels are accepted in sorted order, and the report shows the mapping.
    func testClassNamesAreMappedInSortedOrderAndTheReportShowsThem() async throws {
        let rows = (0..<40).map { i in
            "\(Double(i % 4) / 4),\(Double(i % 3) / 3),\(["virginica", "setosa", "versicolor"][i % 3])"
        }
        try ("a,b,species\n" + rows.joined(separator: "\n") + "\n").write(
            toFile: scratch.file("flowers.csv"), atomically: true, encoding: .utf8)
        let text = """
            study: flowers
            directory: \(scratch.path)
            tuner: grid
            objective: val_loss
            search_space: [{name: units, type: int, min: 2, max: 3}]
            trial:
              model: {layers: [{units: $units, activation: relu}, {units: 3, activation: softmax}], loss: \
            categorical_crossentropy}
              fit: {epochs: 2, batch_size: 8}
              data: {csv: flowers.csv, targets: [species], one_hot: true, validation_split: 0.25}
            """
        let study = try StudyFile.parse(text, path: scratch.file("flowers.yaml"))
        try await StudyRun(study: study, verbose: 0, output: CapturedOutput(), handlesSignals: false).search()
        let html = HTMLReport(
            snapshot: try StudySnapshot(journal: try StudyJournal.openForReading(at: study.journalPath))
        ).render()
        XCTAssert(
            html.contains(
                "<dt>one-hot classes, by column</dt><dd>0: species=setosa, 1: species=versicolor, 2: " +
                    "species=virginica</dd>"
            ))
        XCTAssert(html.contains("Trial definition, as journaled"))
    }
}
