import Dispatch
import Foundation
import TunerJournal
import TunerPostgres

/// Journal copies of the studies of a PostgreSQL store, in a folder the dashboard serves as any
/// other: each study is copied when the dashboard starts and again each time the store
/// announces a change to it. Announcements that come while a study is being copied are folded
/// into one more copy. A copy replaces the last one in one rename, so a reader sees the one or
/// the other.
actor StoreMirror {
    /// The store's URL.
    let url: String
    /// The folder of the copies: `FOLDER/KEY/journal.sqlite`.
    let folder: String
    private let feed: PostgresChangeFeed
    private var names: [Int64: String] = [:]
    private var stale: Set<String> = []
    private var copying = false
    private var copies = 0
    /// Blocking reads of the store run here, never on the server's threads.
    private let queue = DispatchQueue(label: "swifttuner.store-mirror")

    init(url: String, folder: String) throws {
        self.url = url
        self.folder = folder
        feed = try PostgresChangeFeed(url: url)
        try FileManager.default.createDirectory(
            atPath: (folder as NSString).appendingPathComponent(".incoming"), withIntermediateDirectories: true)
    }

    /// Follows the store until the calling task is cancelled.
    func run() async {
        await feed.follow { [self] study in await self.changed(study) }
    }

    /// A study changed (nil: any may have).
    func changed(_ study: Int64?) async {
        if study == nil || names[study ?? 0] == nil {
            let feed = feed
            if let found = try? await blocking({ try feed.studies() }) { names = found }
        }
        if let study {
            if let name = names[study] { stale.insert(name) }
        } else {
            stale.formUnion(names.values)
        }
        guard !copying else { return }
        copying = true
        while let name = stale.popFirst() { await copy(name) }
        copying = false
    }

    /// Copies one study into its folder.
    private func copy(_ name: String) async {
        copies += 1
        let url = url
        let incoming = (folder as NSString).appendingPathComponent(".incoming/\(copies).sqlite")
        let target = (folder as NSString).appendingPathComponent("\(StudyCatalog.key(for: name))/journal.sqlite")
        // A copy that fails (the study deleted, the server away) is made again at the next
        // announcement; the last good copy is served meanwhile.
        try? await blocking {
            let store = try PostgresStudyStore.openForReading(url: url, study: name)
            try StudyJournal.write(try store.dump(), to: incoming)
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard rename(incoming, target) == 0 else {
                try? FileManager.default.removeItem(atPath: incoming)
                throw CocoaError(.fileWriteUnknown)
            }
        }
    }

    private func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
