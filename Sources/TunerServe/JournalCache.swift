import Foundation
import TunerJournal
import TunerCore
import TunerReports

/// The journals a dashboard has open, read-only, and what it last read of each.
///
/// A journal is opened once and kept: its connection's `data_version` tells whether another
/// process committed since the last look, and a page is read and rendered again only then.
/// A journal replaced by another file (a new inode) is opened anew; one that cannot be read is
/// reported as such, and looked at again on the next request.
actor JournalCache {
    /// One open journal and what was made from its last state.
    struct Open {
        var journal: StudyJournal
        var file: FileIdentity
        var version: Int
        /// Which opening this is, so that two files' states never share a number.
        var generation: UInt64
        var pages: [String: String] = [:]
        var status: StudyStatus?
        var overview: StudyOverview?
    }

    /// Which file a path names now.
    struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    /// The state of a journal as the change signal reports it.
    enum State: Equatable, Sendable {
        /// Readable; the number changes whenever the journal does.
        case version(UInt64)
        /// Not readable now, and why.
        case unreadable(String)
    }

    private var open: [String: Open] = [:]
    /// How many journals were opened.
    private var openings: UInt64 = 0

    /// The journal at `path`, opened or reopened as the file requires, and its change number.
    private func current(_ path: String) throws -> Open {
        let identity = FileIdentity(path: path)
        if var cached = open[path], cached.file == identity {
            let version = try cached.journal.dataVersion()
            if version != cached.version {
                cached.version = version
                cached.pages = [:]
                cached.status = nil
                cached.overview = nil
                open[path] = cached
            }
            return cached
        }
        open[path] = nil
        let journal = try StudyJournal.openForReading(at: path)
        guard let identity = FileIdentity(path: path) else {
            throw JournalError(.missing, path: path, "the journal went away while it was opened")
        }
        openings += 1
        let fresh = Open(journal: journal, file: identity, version: try journal.dataVersion(), generation: openings)
        open[path] = fresh
        return fresh
    }

    /// The journal's change state now.
    func state(_ path: String) -> State {
        do {
            let journal = try current(path)
            // The generation tells files apart; the version, states of one file.
            return .version(journal.generation << 32 | UInt64(truncatingIfNeeded: journal.version) & 0xffff_ffff)
        } catch {
            open[path] = nil
            return .unreadable("\(error)")
        }
    }

    /// The journal, to read.
    func journal(_ path: String) throws -> StudyJournal {
        do {
            return try current(path).journal
        } catch {
            open[path] = nil
            throw error
        }
    }

    /// The study's overview: read once per state of the journal; whether its writer and its
    /// workers live is looked at each time (a process can die while the journal stays as it is).
    func overview(_ path: String) throws -> StudyOverview {
        let journal: Open
        do {
            journal = try current(path)
        } catch {
            open[path] = nil
            throw error
        }
        if let status = journal.status, let overview = journal.overview {
            let live = status.rechecked(journal: journal.journal)
            if live.writerAlive == status.writerAlive && live.liveWorkers == status.liveWorkers { return overview }
            let fresh = StudyOverview(live)
            open[path]?.status = live
            open[path]?.overview = fresh
            return fresh
        }
        let status = try StudyStatus(journal: journal.journal)
        let overview = StudyOverview(status)
        open[path]?.status = status
        open[path]?.overview = overview
        return overview
    }

    /// What a change event carries: the newest attempts and the number of trials, as JSON on
    /// one line; read once per state of the journal.
    func latest(_ path: String) -> String? {
        guard let journal = try? current(path) else { return nil }
        if let text = journal.pages["latest.json"] { return text }
        guard let (attempts, trials) = try? journal.journal.latest(limit: LiveAttempt.shown) else { return nil }
        let event = LiveEvent(
            version: UInt64(truncatingIfNeeded: journal.version) | journal.generation << 32, trials: trials,
            at: attempts.map { max($0.startedAt, $0.endedAt ?? 0) }.max(), attempts: attempts.map(LiveAttempt.init))
        guard let data = try? StudyOverview.encoder.encode(event) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        open[path]?.pages["latest.json"] = text
        return text
    }

    /// A page kept for the journal's current state, or the journal and that state's number to
    /// make it with (outside the actor: making a large study's page takes long enough that the
    /// event streams must not wait for it); ``keep(_:name:version:page:)`` keeps what was made.
    func page(_ path: String, name: String) throws -> (page: String?, journal: StudyJournal, version: Int) {
        let journal: Open
        do {
            journal = try current(path)
        } catch {
            open[path] = nil
            throw error
        }
        return (journal.pages[name], journal.journal, journal.version)
    }

    /// Keeps a page made from the state `version`, unless the journal moved on meanwhile.
    func keep(_ path: String, name: String, version: Int, page: String) {
        guard open[path]?.version == version else { return }
        open[path]?.pages[name] = page
    }
}

/// A change event's data.
struct LiveEvent: Encodable {
    var version: UInt64
    var trials: Int
    /// The newest instant among the attempts (seconds since 1970).
    var at: Double?
    var attempts: [LiveAttempt]
}

/// An attempt as a change event and the page's list of the latest attempts show it.
struct LiveAttempt: Encodable {
    /// How many attempts the list shows.
    static let shown = 8

    var trial: String
    var number: Int
    var outcome: String
    var errorType: String?
    var message: String?
    var startedAt: Double
    var endedAt: Double?

    init(_ attempt: AttemptRecord) {
        trial = trialID(attempt.trial)
        number = attempt.number
        outcome = attempt.outcomeText
        errorType = attempt.errorType
        message = attempt.message.map { String(ReportText.message($0).prefix(200)) }
        startedAt = attempt.startedAt
        endedAt = attempt.endedAt
    }

    /// The line the page shows.
    var line: String {
        "Trial \(trial), attempt \(number): \(outcome)"
            + (errorType.map { " — \($0)" } ?? "") + (message.map { ": \($0)" } ?? "")
    }
}
