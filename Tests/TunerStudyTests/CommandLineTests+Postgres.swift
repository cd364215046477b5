import Foundation
import TunerCore
import TunerJournal
import TunerTestSupport
import XCTest

/// `tuner worker --store postgresql://…` and the reading commands on a PostgreSQL study, end
/// to end (section 9).
extension CommandLineTests {
    func postgresDatabase(_ label: String) throws -> String {
        try PostgresTestServer.makeDatabase(label) { XCTSkip($0) }
    }

    func testWorkersOnAPostgresStudyEndWithTheTrialsOfOneProcessAndEveryReaderReadsIt() throws {
        let url = try postgresDatabase("cli")
        let command =
            #""if [ \"$TUNER_ATTEMPT\" = 1 ] && [ $(({x} % 3)) = 0 ]; then exit 1; fi; "#
                + #"echo '{\"val_loss\": 0.{x}}' > \"$TUNER_METRICS_FILE\"""#
        let values = "[" + (1...18).map(String.init).joined(separator: ", ") + "]"
        let one = try tuner("search", try commandStudy("solo", command, values: values), "--verbose", "0")
        XCTAssertEqual(one.code, 0, one.stderr)
        let study = try commandStudy("shared", command, values: values)
        let workers = try (1...3).map { index in
            try ChildProcess.start(
                Self.binary, ["worker", study, "--store", url, "--worker-id", "host-\(index)", "--lease", "5"],
                in: scratch.path, stdout: .discard, stderr: .inherit)
        }
        for worker in workers {
            XCTAssertTrue(waitUntil(timeout: 120) { !worker.isRunning })
            XCTAssertEqual(worker.terminationStatus, 0)
        }
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: scratch.file(".tuner/shared/journal.sqlite")),
            "a PostgreSQL study writes no journal file")

        let exported = try tuner("export", "--store", url, study, "-o", scratch.file("shared.json"))
        XCTAssertEqual(exported.code, 0, exported.stderr)
        let copy = try tuner("export", "--store", url, "shared", "--format", "csv")
        XCTAssertEqual(copy.code, 0, copy.stderr)
        XCTAssertEqual(copy.stdout.split(separator: "\n").count, 19, "a header and one row per trial")
        let solo = try StudyJournal.openForReading(at: scratch.file(".tuner/solo/journal.sqlite"))
        let status = try tuner("status", "--store", url, "shared")
        XCTAssertEqual(status.code, 0, status.stderr)
        XCTAssert(status.stdout.contains("Trials: 18 (18 COMPLETED)"), status.stdout)
        XCTAssert(status.stdout.contains("Workers: 0 running, 3 in all"), status.stdout)
        let verify = try tuner("verify", study, "--store", url)
        XCTAssertEqual(verify.code, 0, verify.stderr)
        XCTAssert(verify.stdout.contains("Verified 18 proposals"), verify.stdout)
        let summary = try tuner("summary", "--store", url, "shared", "--num-trials", "1")
        XCTAssert(summary.stdout.contains("Score: 0.1"), summary.stdout)
        let html = try tuner("report", "--store", url, "shared", "--html", scratch.file("shared.html"))
        XCTAssertEqual(html.code, 0, html.stderr)

        // The same trials as one process on SQLite: values, statuses, scores and counted attempts.
        let data = try Data(contentsOf: URL(fileURLWithPath: scratch.file("shared.json")))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let trials = try XCTUnwrap(json["trials"] as? [[String: Any]])
        XCTAssertEqual(trials.count, try solo.trials().count)
        let soloScores = try solo.trials().map(\.score)
        XCTAssertEqual(trials.map { $0["score"] as? Double }, soloScores)
    }

    func testAPostgresStoreIsRefusedClearlyWhenItCannotBeUsed() throws {
        let study = try commandStudy("bad", "\"true\"")
        let notURL = try tuner("worker", study, "--store", "/tmp/x.sqlite")
        XCTAssertEqual(notURL.code, 2)
        XCTAssert(notURL.stderr.contains("--store must be a postgresql:// URL"), notURL.stderr)
        let badPort = try tuner("worker", study, "--store", "postgresql://u@localhost:99999/db")
        XCTAssertEqual(badPort.code, 1)
        XCTAssert(badPort.stderr.contains("the port must be 1 to 65535"), badPort.stderr)
        let secret = try tuner("status", "--store", "postgresql://u:hunter2@localhost:1/db?color=red", "bad")
        XCTAssertNotEqual(secret.code, 0)
        XCTAssert(secret.stderr.contains("unknown parameter \"color\""), secret.stderr)
        XCTAssertFalse(secret.stderr.contains("hunter2"), "a password is never printed")
        let url = try postgresDatabase("missing")
        let missing = try tuner("status", "--store", url, "nothing")
        XCTAssertEqual(missing.code, 1)
        XCTAssert(missing.stderr.contains("no study named \"nothing\""), missing.stderr)
    }
}
