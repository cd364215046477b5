import Foundation
import Synchronization
import TunerServe
import TunerTestSupport
import XCTest

/// A dashboard served in-process on a free loopback port for the length of a test.
final class ServedDashboard: Sendable {
    let port: Int
    private let task: Task<Void, any Error>

    init(_ configuration: DashboardConfiguration) throws {
        var configuration = configuration
        configuration.port = 0
        let bound = Mutex<Int?>(nil)
        let server = DashboardServer(configuration: configuration)
        task = Task { try await server.run { port in bound.withLock { $0 = port } } }
        guard waitUntil(timeout: 30, { bound.withLock { $0 } != nil }), let port = bound.withLock({ $0 }) else {
            task.cancel()
            throw HTTPProbe.Failure(description: "the dashboard did not start within 30 s")
        }
        self.port = port
    }

    convenience init(folder: String, changeCheck: Duration = .milliseconds(20), lifetime: Duration = .seconds(60))
        throws
    {
        try self.init(
            DashboardConfiguration(
                catalog: StudyCatalog(folder: folder), changeCheckInterval: changeCheck,
                heartbeatInterval: .milliseconds(500), streamLifetime: lifetime))
    }

    func get(_ path: String, timeout: Double = 30, until: ((String) -> Bool)? = nil) throws -> HTTPProbe.Answer {
        try HTTPProbe.get(port: port, path, timeout: timeout, until: until)
    }

    func json(_ path: String) throws -> Any {
        let answer = try get(path)
        XCTAssertEqual(answer.status, 200, "\(path): \(answer.body.prefix(300))")
        XCTAssertEqual(answer.headers["content-type"], "application/json", path)
        return try JSONSerialization.jsonObject(with: Data(answer.body.utf8))
    }

    func stop() { task.cancel() }

    deinit { task.cancel() }
}

/// The fixture journals copied into a temporary folder (serving them may add `-wal` and `-shm`
/// files beside them).
func fixtureFolder() throws -> TemporaryDirectory {
    let folder = TemporaryDirectory()
    let source = repositoryRoot.appendingPathComponent("Fixtures/journals")
    for name in try FileManager.default.contentsOfDirectory(atPath: source.path).sorted() {
        let journal = source.appendingPathComponent(name).appendingPathComponent("journal.sqlite")
        guard FileManager.default.fileExists(atPath: journal.path) else { continue }
        let target = URL(fileURLWithPath: folder.path).appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: journal, to: target.appendingPathComponent("journal.sqlite"))
    }
    return folder
}
