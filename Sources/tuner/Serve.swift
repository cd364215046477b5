import ArgumentParser
import Foundation
import TunerJournal
import TunerPostgres
import TunerReports
import TunerServe
import TunerStudy

/// Where `serve` and `list` find studies: a folder (searched for journals), a study folder, a
/// journal, or a study file.
struct ServedStudies: ParsableArguments {
    @Argument(help: "A folder to search for study journals, a study's folder or journal, or its study file.")
    var location: String = "."

    @Option(
        help: ArgumentHelp(
            "Serve or list the studies of this PostgreSQL store (postgresql://…) instead of a folder's journals."))
    var store: String?

    func validate() throws {
        if let store, !PostgresURL.isPostgres(store) {
            throw ValidationError("--store takes a postgresql:// URL")
        }
    }

    /// The catalog the location names.
    func catalog() throws -> StudyCatalog {
        if location.hasSuffix(".yaml") || location.hasSuffix(".yml") {
            return StudyCatalog(journal: try StudyFile.load(location).journalPath)
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: location, isDirectory: &isFolder) else {
            throw ValidationError("\(location): no such file or folder")
        }
        return isFolder.boolValue ? StudyCatalog(folder: location) : StudyCatalog(journal: location)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a live dashboard of the studies under a folder (read-only; loopback unless told otherwise).",
        discussion: """
            Every study journal under the folder gets a page that follows the journal as searches write it, \
            and a JSON API under /api/ (described at /api/openapi.json). The server never writes a journal \
            and never takes a writer's lock. SIGINT or SIGTERM stops it.
            """)

    @OptionGroup var studies: ServedStudies

    @Option(help: "The port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "The address to bind. Another than loopback needs --allow-remote.")
    var host: String = "127.0.0.1"

    @Flag(help: "Allow binding an address other machines can reach (the pages show every trace and path).")
    var allowRemote = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        let configuration = DashboardConfiguration(catalog: StudyCatalog(folder: "."), host: host)
        if !configuration.isLoopback && !allowRemote {
            throw ValidationError(
                "--host \(host) can be reached from other machines; add --allow-remote to serve there")
        }
    }

    func run() async throws {
        let configuration: DashboardConfiguration
        let count: Int
        if let store = studies.store {
            configuration = DashboardConfiguration(store: store, host: host, port: port)
            count = try PostgresStudyStore.studies(url: store).count
        } else {
            let catalog = try studies.catalog()
            configuration = DashboardConfiguration(catalog: catalog, host: host, port: port)
            count = catalog.studies().count
        }
        let server = DashboardServer(configuration: configuration)
        let host = host, remote = !configuration.isLoopback
        try await server.run(stopsOnSignals: true) { port in
            let shown = host.contains(":") ? "[\(host)]" : host
            var lines = [
                "Serving \(count) stud\(count == 1 ? "y" : "ies") read-only at http://\(shown):\(port)/ "
                    + "(SIGINT stops)."
            ]
            if remote {
                lines.append(
                    "Bound to \(host): other machines reach it at http://THIS-HOST-ADDRESS:\(port)/; "
                        + "anyone who can reach it can read every study served.")
            }
            print(lines.joined(separator: "\n"))
            fflush(nil)
        }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the studies under a folder: status, trials, best value, last activity.")

    @OptionGroup var studies: ServedStudies

    @Flag(help: "Print JSON: the key, folder and overview of every study.")
    var json = false

    func run() throws {
        var listed: [ListedStudy] = []
        if let store = studies.store {
            for name in try PostgresStudyStore.studies(url: store) {
                let overview = Result { StudyOverview(try StoreCopy.status(url: store, study: name)) }
                listed.append(ListedStudy(key: name, folder: ".", overview))
            }
        }
        for entry in studies.store == nil ? try studies.catalog().studies() : [] {
            let overview = Result {
                StudyOverview(try StudyStatus(journal: StudyJournal.openForReading(at: entry.path)))
            }
            listed.append(ListedStudy(key: entry.key, folder: entry.folder, overview))
        }
        if json {
            let encoder = StudyOverview.encoder
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(listed), as: UTF8.self))
            return
        }
        if listed.isEmpty {
            print("No study journal under \(studies.location).")
            return
        }
        for study in listed {
            let name = study.overview?.name ?? study.key
            let folder = study.folder == "." || study.folder == name ? "" : " (\(study.folder))"
            print("\(name)\(folder): " + (study.overview?.line ?? "cannot be read: \(study.error ?? "")"))
        }
    }
}
