import Foundation
import TunerCore
import TunerJournal
import TunerTestSupport
import XCTest

/// `tuner list`, `tuner status --json` and `tuner serve` from the built binary.
extension CommandLineTests {
    func testListAndStatusJSONDescribeTheStudiesUnderAFolder() throws {
        let search = try tuner("search", fixture("seed-guide-failed.yaml"), "--verbose", "0")
        XCTAssertEqual(search.code, 0, search.stderr)
        let list = try tuner("list")
        XCTAssertEqual(list.code, 0, list.stderr)
        XCTAssert(list.stdout.hasPrefix("seed-guide-failed (.tuner/seed-guide-failed): completed, "), list.stdout)
        XCTAssert(list.stdout.contains("best val_loss"), list.stdout)

        let json = try tuner("list", ".tuner", "--json")
        XCTAssertEqual(json.code, 0, json.stderr)
        let listed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(listed.map { $0["key"] as? String }, ["seed-guide-failed"])

        let status = try tuner("status", ".tuner/seed-guide-failed", "--json")
        XCTAssertEqual(status.code, 0, status.stderr)
        let overview = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let journal = try StudyJournal.openForReading(at: scratch.file(".tuner/seed-guide-failed/journal.sqlite"))
        XCTAssertEqual(overview["trials"] as? Int, try journal.trials().count)
        XCTAssertEqual(overview["status"] as? String, "completed")
        XCTAssertEqual(overview["consecutiveFailedTrials"] as? Int, try journal.study().streak)
        XCTAssertEqual(overview["maxConsecutiveFailedTrials"] as? Int, 8)
        XCTAssertEqual((listed.first?["overview"] as? [String: Any])?["trials"] as? Int, overview["trials"] as? Int)

        let empty = try tuner("list", "Fixtures-that-are-not-here")
        XCTAssertNotEqual(empty.code, 0)
        XCTAssert(empty.stderr.contains("no such file or folder"), empty.stderr)
    }

    func testServeAnswersOnLoopbackAndStopsOnSIGINT() throws {
        let search = try tuner("search", fixture("seed-guide-failed.yaml"), "--verbose", "0")
        XCTAssertEqual(search.code, 0, search.stderr)
        let log = scratch.file("serve.log")
        let server = try SpawnedProcess(Self.binary, ["serve", scratch.path, "--port", "0"], log: log)
        defer { server.signal(SIGKILL); server.waitUntilExit() }
        var port: Int?
        XCTAssert(
            waitUntil {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                guard let range = text.range(of: #"http://127\.0\.0\.1:([0-9]+)/"#, options: .regularExpression) else {
                    return false
                }
                port = Int(text[range].dropFirst("http://127.0.0.1:".count).dropLast())
                return true
            }, "the server says where it listens")
        let bound = try XCTUnwrap(port)
        let home = try HTTPProbe.get(port: bound, "/")
        XCTAssertEqual(home.status, 200)
        XCTAssert(home.body.contains("/studies/seed-guide-failed"), home.body)
        // An open event stream does not hold the stop back.
        let stream = Thread {
            _ = try? HTTPProbe.get(port: bound, "/studies/seed-guide-failed/events", timeout: 20) { _ in false }
        }
        stream.start()
        usleep(300_000)
        server.signal(SIGINT)
        XCTAssertEqual(server.waitUntilExit(timeout: 10), 0, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    func testServeRefusesAnAddressOtherMachinesReachUnlessAllowed() throws {
        let run = try tuner("serve", ".", "--host", "0.0.0.0", "--port", "0")
        XCTAssertEqual(run.code, 2)
        XCTAssert(run.stderr.contains("--allow-remote"), run.stderr)
        let store = try tuner("serve", ".", "--store", "mysql://nobody@127.0.0.1/none")
        XCTAssertEqual(store.code, 2)
        XCTAssert(store.stderr.contains("postgresql://"), store.stderr)
    }
}

extension CommandLineTests {
    func testListReadsAPostgreSQLStore() throws {
        let url = try PostgresTestServer.makeDatabase("list") { XCTSkip($0) }
        let search = try tuner("search", fixture("seed-guide-failed.yaml"), "--verbose", "0", "--store", url)
        XCTAssertEqual(search.code, 0, search.stderr)
        let list = try tuner("list", "--store", url)
        XCTAssertEqual(list.code, 0, list.stderr)
        XCTAssert(list.stdout.hasPrefix("seed-guide-failed: completed, 12 trials"), list.stdout)
        let json = try tuner("list", "--store", url, "--json")
        let listed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual((listed.first?["overview"] as? [String: Any])?["trials"] as? Int, 12)
    }
}
