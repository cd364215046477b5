import Foundation

/// The catalog's listing, looked at again at most once per `freshness`: every request names a
/// study, and a folder scan for each would cost more than the answer.
actor CatalogCache {
    let catalog: StudyCatalog
    let freshness: Duration
    private var listed: [StudyCatalog.Entry] = []
    private var at: ContinuousClock.Instant?

    init(_ catalog: StudyCatalog, freshness: Duration = .milliseconds(500)) {
        self.catalog = catalog
        self.freshness = freshness
    }

    /// The studies found, at most `freshness` old.
    func studies() -> [StudyCatalog.Entry] {
        let now = ContinuousClock.now
        if let at, now - at < freshness { return listed }
        listed = catalog.studies()
        at = now
        return listed
    }

    /// The study with this key. A key not in the last listing makes a new one if that listing
    /// is over a tenth of `freshness` old: a study that just appeared is found at once, and
    /// requests for keys that do not exist scan the folder at most ten times per `freshness`.
    func study(_ key: String) -> StudyCatalog.Entry? {
        if let entry = studies().first(where: { $0.key == key }) { return entry }
        guard let at, ContinuousClock.now - at >= freshness / 10 else { return nil }
        self.at = nil
        return studies().first { $0.key == key }
    }
}
