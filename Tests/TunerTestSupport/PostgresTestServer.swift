import Foundation
import Synchronization

/// The PostgreSQL server the tests use: the cluster `.ci/run` started (its URL in
/// `SWIFTTUNER_POSTGRES_URL`, its folder in `SWIFTTUNER_POSTGRES_DIR`), or one this process
/// starts with `.ci/postgres` and stops when it exits. Each test gets a database of its own.
public enum PostgresTestServer {
    /// Why there is no server here, when there is none.
    public struct Unavailable: Error, CustomStringConvertible {
        /// What is missing.
        public var description: String
    }

    private struct Cluster: Sendable {
        var url: String
        var folder: String
    }

    private static let cluster = Mutex<Result<Cluster, Unavailable>?>(nil)

    /// Whether a missing server fails the tests instead of skipping them (set by `.ci/run`).
    public static var required: Bool { ProcessInfo.processInfo.environment["SWIFTTUNER_REQUIRE_POSTGRES"] == "1" }

    private static func start() -> Result<Cluster, Unavailable> {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["SWIFTTUNER_POSTGRES_URL"], let folder = environment["SWIFTTUNER_POSTGRES_DIR"] {
            return .success(Cluster(url: url, folder: folder))
        }
        let script = repositoryRoot.appendingPathComponent(".ci/postgres").path
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swifttuner-pg-\(getpid())").path
        let result = run([script, "start", folder])
        guard result.status == 0, let url = result.output.split(separator: "\n").last.map(String.init) else {
            return .failure(
                Unavailable(
                    description:
                        "cannot start a PostgreSQL cluster with .ci/postgres (exit \(result.status)): \(result.output)")
            )
        }
        atexit { _ = PostgresTestServer.stopOwnCluster() }
        return .success(Cluster(url: url, folder: folder))
    }

    private static func current() throws -> Cluster {
        let result = cluster.withLock { value -> Result<Cluster, Unavailable> in
            if let value { return value }
            let started = start()
            value = started
            return started
        }
        return try result.get()
    }

    @discardableResult
    static func stopOwnCluster() -> Int32 {
        guard ProcessInfo.processInfo.environment["SWIFTTUNER_POSTGRES_URL"] == nil,
            case .success(let own)? = cluster.withLock({ $0 })
        else { return 0 }
        return run([repositoryRoot.appendingPathComponent(".ci/postgres").path, "stop", own.folder]).status
    }

    /// A new, empty database; returns its URL.
    public static func makeDatabase(_ label: String = "test") throws -> String {
        let server = try current()
        let stem = label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(30)
        let name = "t_\(stem)_\(UInt32.random(in: 0...UInt32.max))"
        let result = run(["psql", server.url, "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(name)"])
        guard result.status == 0 else {
            throw Unavailable(description: "cannot create a database: \(result.output)")
        }
        return server.url.replacingOccurrences(of: "/tuner?", with: "/\(name)?")
    }

    /// A new, empty database for a test; where there is no server, the error `skip` makes
    /// from the reason (an `XCTSkip`), or ``Unavailable`` itself where a server is ``required``.
    public static func makeDatabase(_ label: String, skip: (String) -> any Error) throws -> String {
        do {
            return try makeDatabase(label)
        } catch let error as Unavailable {
            if required { throw error }
            throw skip("no PostgreSQL server here: \(error)")
        }
    }

    /// Runs SQL on a database with psql and returns what it printed (unaligned, tuples only).
    @discardableResult
    public static func psql(_ url: String, _ sql: String) throws -> String {
        let result = run(["psql", url, "-v", "ON_ERROR_STOP=1", "-X", "-A", "-t", "-q", "-c", sql])
        guard result.status == 0 else { throw Unavailable(description: "psql failed on \(sql): \(result.output)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server as a crash would and starts it again (`pg_ctl -m immediate`).
    public static func restart() throws {
        let server = try current()
        let result = run([repositoryRoot.appendingPathComponent(".ci/postgres").path, "restart", server.folder])
        guard result.status == 0 else { throw Unavailable(description: "cannot restart the server: \(result.output)") }
    }

    /// Runs a command to its end, its output in a file (a ``SpawnedProcess``: Foundation's
    /// `Process.waitUntilExit` was seen never to return once the command had started a daemon).
    public static func run(_ arguments: [String]) -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent(
            "swifttuner-pg-run-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let child: SpawnedProcess
        do {
            child = try SpawnedProcess("/usr/bin/env", arguments, log: log)
        } catch {
            return (127, "\(error)")
        }
        let code = child.waitUntilExit()
        return (code, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}
