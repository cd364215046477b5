import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import TunerCore
import TunerJournal
import TunerReports

/// The live dashboard: an HTTP server of the studies a ``StudyCatalog`` holds, their pages, a
/// JSON API and the Server-Sent Events that keep the pages live. Read-only: it opens journals
/// for reading and never takes a writer's lock.
///
/// The library installs no signal handler unless asked: `tuner serve` passes SIGINT and
/// SIGTERM; a program embedding the server cancels the task that runs it.
///
/// ```swift
/// let server = DashboardServer(configuration: DashboardConfiguration(catalog: StudyCatalog(folder: ".tuner")))
/// try await server.run { port in print("serving on port \(port)") }
/// ```
public struct DashboardServer: Sendable {
    /// What is served and how.
    public var configuration: DashboardConfiguration

    /// Makes a server; nothing is bound before ``run(stopsOnSignals:onRunning:)``.
    public init(configuration: DashboardConfiguration) {
        self.configuration = configuration
    }

    /// The security headers of every response: a strict policy (every script and stylesheet
    /// from the server itself, nothing inline, no frame, no other origin), no sniffing, no
    /// referrer, no caching of a state that changes.
    static let securityHeaders: [(HTTPField.Name, String)] = [
        (
            .contentSecurityPolicy,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
        (HTTPField.Name("X-Content-Type-Options")!, "nosniff"),
        (HTTPField.Name("Referrer-Policy")!, "no-referrer"),
        (.cacheControl, "no-store"),
    ]

    /// Serves until the task is cancelled or, when `stopsOnSignals`, SIGINT or SIGTERM arrives;
    /// either way the server stops gracefully.
    ///
    /// - Parameters:
    ///   - stopsOnSignals: whether SIGINT and SIGTERM stop the server gracefully. Off by
    ///     default: a library leaves signals to the process's owner.
    ///   - onRunning: called once the server listens, with the port it listens on.
    public func run(
        stopsOnSignals: Bool = false, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        var logger = Logger(label: "tuner-serve")
        logger.logLevel = .warning
        var configuration = configuration
        var mirror: StoreMirror?
        if let store = configuration.store {
            let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent(
                "swifttuner-serve-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            mirror = try StoreMirror(url: store, folder: folder)
            configuration.catalog = StudyCatalog(folder: folder)
        }
        defer { if let mirror { try? FileManager.default.removeItem(atPath: mirror.folder) } }
        let following = Task { [mirror] in await mirror?.run() }
        defer { following.cancel() }
        let app = Application(
            router: Self.router(configuration, cache: JournalCache()),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(
            services: [app], gracefulShutdownSignals: stopsOnSignals ? [.sigint, .sigterm] : [], logger: logger)
        // Cancelling the caller's task stops the server gracefully too: open event streams end
        // and the port is released before this returns.
        let running = Task { try await group.run() }
        try await withTaskCancellationHandler {
            try await running.value
        } onCancel: {
            Task { await group.triggerGracefulShutdown() }
        }
    }

    static func router(_ configuration: DashboardConfiguration, cache: JournalCache) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: ReadOnlyMiddleware())
        let catalog = CatalogCache(configuration.catalog)
        let streams = EventStreams(configuration: configuration, cache: cache, catalog: catalog)

        router.get("/") { _, _ in
            var rows: [(StudyCatalog.Entry, Result<StudyOverview, any Error>)] = []
            for entry in await catalog.studies() { rows.append((entry, await Self.overview(entry, cache: cache))) }
            return Self.html(DashboardPages.home(rows))
        }
        router.get("/assets/report.css") { _, _ in
            Self.body(HTMLReport.stylesheet, type: "text/css; charset=utf-8")
        }
        router.get("/assets/dashboard.js") { _, _ in
            Self.body(DashboardAssets.script, type: "text/javascript; charset=utf-8")
        }
        router.get("/events") { _, _ in streams.catalogStream() }
        router.get("/compare") { request, _ in
            var entries: [StudyCatalog.Entry] = []
            let keys = request.uri.queryParameters.getAll("study").map { String($0) }
            for key in keys {
                guard let entry = await catalog.study(key) else {
                    throw HTTPError(.notFound, message: "no study \(key) here")
                }
                if !entries.contains(entry) { entries.append(entry) }
            }
            guard !entries.isEmpty else {
                throw HTTPError(.badRequest, message: "name the studies to compare: /compare?study=A&study=B")
            }
            var studies: [(StudyCatalog.Entry, Result<StudySnapshot, any Error>)] = []
            for entry in entries {
                do {
                    let journal = try await cache.journal(entry.path)
                    studies.append((entry, .success(try StudySnapshot(journal: journal, reading: .html))))
                } catch {
                    studies.append((entry, .failure(error)))
                }
            }
            return Self.html(DashboardPages.comparison(studies))
        }
        router.get("/studies/{key}") { request, context in
            let entry = try await Self.entry(context, catalog)
            let key = entry.key
            let chosen = request.uri.queryParameters.get("metric").map { String($0) }
            do {
                let page = try await Self.page(cache, entry.path, name: "study|" + (chosen ?? "")) { journal in
                    let metrics = try journal.metricNames()
                    if let chosen, !metrics.contains(chosen) {
                        throw HTTPError(.notFound, message: "no attempt reported a metric named \(chosen)")
                    }
                    let snapshot = try StudySnapshot(journal: journal, reading: .html, curvesOf: chosen)
                    let served = HTMLReport.ServedPage(
                        home: DashboardRoutes.home, stylesheet: DashboardRoutes.stylesheet,
                        script: DashboardRoutes.script, events: DashboardRoutes.events(key),
                        trialPrefix: DashboardRoutes.trialPrefix(key), address: DashboardRoutes.study(key),
                        metrics: metrics)
                    return HTMLReport(snapshot: snapshot, page: .served(served)).render()
                }
                return Self.html(page)
            } catch let error as HTTPError {
                throw error
            } catch {
                return Self.html(
                    DashboardPages.unreadable(key: key, message: "\(error)"), status: .serviceUnavailable)
            }
        }
        router.get("/studies/{key}/events") { _, context in
            streams.study(try await Self.entry(context, catalog).path)
        }
        router.get("/studies/{key}/trials/{number}") { _, context in
            let entry = try await Self.entry(context, catalog)
            let number = try Self.trialNumber(context)
            let journal = try await Self.journal(entry, cache: cache)
            let page: String? = try journal.snapshot {
                guard let trial = try journal.trial(number) else { return nil }
                let study = try journal.study()
                let attempts = try journal.attempts(ofTrial: number).map { attempt in
                    (attempt, try attempt.id.map { try journal.epochMetrics(ofAttempt: $0) } ?? [])
                }
                return DashboardPages.trial(
                    key: entry.key, study: study, space: (try? study.searchSpace()) ?? SearchSpace(), trial: trial,
                    attempts: attempts)
            }
            guard let page else { throw HTTPError(.notFound, message: "study \(entry.key) has no trial \(number)") }
            return Self.html(page)
        }

        router.get("/api/openapi.json") { _, _ in
            Self.body(DashboardAssets.openAPI, type: "application/json")
        }
        router.get("/api/studies") { _, _ in
            var list: [ListedStudy] = []
            for entry in await catalog.studies() {
                list.append(DashboardAPI.listed(entry, await Self.overview(entry, cache: cache)))
            }
            return try Self.json(list)
        }
        router.get("/api/studies/{key}") { _, context in
            let entry = try await Self.entry(context, catalog)
            switch await Self.overview(entry, cache: cache) {
            case .success(let overview): return try Self.json(DashboardAPI.listed(entry, .success(overview)))
            case .failure(let error): throw HTTPError(.serviceUnavailable, message: "\(error)")
            }
        }
        router.get("/api/studies/{key}/trials") { _, context in
            let entry = try await Self.entry(context, catalog)
            let page = try await Self.page(cache, entry.path, name: "trials.json") { journal in
                String(decoding: try StudyExport.json(journal), as: UTF8.self)
            }
            return Self.body(page, type: "application/json")
        }
        router.get("/api/studies/{key}/trials/{number}") { _, context in
            let entry = try await Self.entry(context, catalog)
            let number = try Self.trialNumber(context)
            let journal = try await Self.journal(entry, cache: cache)
            let trial: DashboardAPI.Trial? = try journal.snapshot {
                guard let trial = try journal.trial(number) else { return nil }
                return try DashboardAPI.Trial(trial, journal: journal)
            }
            guard let trial else { throw HTTPError(.notFound, message: "study \(entry.key) has no trial \(number)") }
            return try Self.json(trial)
        }
        return router
    }

    // MARK: - Helpers

    static func entry(_ context: BasicRequestContext, _ catalog: CatalogCache) async throws -> StudyCatalog.Entry {
        let key = try context.parameters.require("key")
        guard let entry = await catalog.study(key) else {
            throw HTTPError(.notFound, message: "no study \(key) here")
        }
        return entry
    }

    static func trialNumber(_ context: BasicRequestContext) throws -> Int {
        guard let text = context.parameters.get("number"), let number = Int(text), number >= 0 else {
            throw HTTPError(.notFound, message: "a trial is addressed by its number")
        }
        return number
    }

    static func journal(_ entry: StudyCatalog.Entry, cache: JournalCache) async throws -> StudyJournal {
        do {
            return try await cache.journal(entry.path)
        } catch {
            throw HTTPError(.serviceUnavailable, message: "\(error)")
        }
    }

    static func overview(_ entry: StudyCatalog.Entry, cache: JournalCache) async -> Result<StudyOverview, any Error> {
        do {
            return .success(try await cache.overview(entry.path))
        } catch {
            return .failure(error)
        }
    }

    /// A page of the journal's current state: the one kept, or one made now, outside the cache's
    /// actor, and kept.
    static func page(
        _ cache: JournalCache, _ path: String, name: String, make: (StudyJournal) throws -> String
    ) async throws -> String {
        let (kept, journal, version) = try await cache.page(path, name: name)
        if let kept { return kept }
        let page = try make(journal)
        await cache.keep(path, name: name, version: version, page: page)
        return page
    }

    static func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        body(page, type: "text/html; charset=utf-8", status: status)
    }

    static func body(_ text: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: some Encodable) throws -> Response {
        body(String(decoding: try StudyOverview.encoder.encode(value), as: UTF8.self), type: "application/json")
    }
}

/// Adds ``DashboardServer/securityHeaders`` to every response, errors included.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            response = try HTTPError(.internalServerError, message: "\(error)").response(
                from: request, context: context)
        }
        for (name, value) in DashboardServer.securityHeaders { response.headers[name] = value }
        return response
    }
}

/// Answers every method but GET and HEAD with 405 and the methods allowed: the dashboard only
/// reads, so no route takes another.
struct ReadOnlyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            throw HTTPError(
                .methodNotAllowed, headers: [.allow: "GET, HEAD"],
                message: "the dashboard only reads: \(request.method) is not allowed")
        }
        return try await next(request, context)
    }
}
