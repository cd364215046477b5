import Foundation

/// The studies a dashboard serves: every journal under a folder, or one journal.
///
/// A study is addressed by its key, a name made of letters, digits, `.`, `_` and `-` that the
/// catalog hands out. A request names a key, never a path: nothing outside the served folder
/// can be reached, whatever the request says.
///
/// ```swift
/// for study in StudyCatalog(folder: ".tuner").studies() { print(study.key, study.path) }
/// ```
public struct StudyCatalog: Sendable {
    /// One study found.
    public struct Entry: Sendable, Equatable {
        /// The study's address in the dashboard's URLs.
        public var key: String
        /// Its folder, relative to the served folder ("." for the folder itself).
        public var folder: String
        /// Its journal's path.
        public var path: String
    }

    /// Where the studies are.
    public enum Source: Sendable, Equatable {
        /// Every `journal.sqlite` in this folder or below it (at most ``StudyCatalog/depth``
        /// folders down).
        case folder(String)
        /// One journal.
        case journal(String)
    }

    /// Where the studies are.
    public var source: Source
    /// How many folders down a folder is searched (`DIR/.tuner/STUDY/journal.sqlite` is 2).
    public var depth: Int
    /// The most folders one listing visits, so that serving a large tree stays quick.
    public var folderLimit: Int

    /// The journals under `folder`.
    public init(folder: String, depth: Int = 3, folderLimit: Int = 5_000) {
        self.source = .folder(folder)
        self.depth = depth
        self.folderLimit = folderLimit
    }

    /// One journal.
    public init(journal: String) {
        self.source = .journal(journal)
        self.depth = 0
        self.folderLimit = 1
    }

    /// The journal file's name in a study folder.
    static let journalName = "journal.sqlite"

    /// Folders never searched: version control, build products, environments.
    static let skipped: Set<String> = [".git", ".build", "node_modules", ".venv", "__pycache__", ".swiftpm"]

    /// The studies found now, by folder.
    public func studies() -> [Entry] {
        var found: [(folder: String, path: String)] = []
        switch source {
        case .journal(let path):
            found = [((path as NSString).deletingLastPathComponent, path)]
        case .folder(let root):
            let manager = FileManager.default
            var queue: [(relative: String, level: Int)] = [(".", 0)]
            var visited = 0
            while !queue.isEmpty, visited < folderLimit {
                let (relative, level) = queue.removeFirst()
                visited += 1
                let absolute = relative == "." ? root : (root as NSString).appendingPathComponent(relative)
                let journal = (absolute as NSString).appendingPathComponent(Self.journalName)
                var isFolder: ObjCBool = false
                if manager.fileExists(atPath: journal, isDirectory: &isFolder), !isFolder.boolValue {
                    found.append((relative, journal))
                }
                guard level < depth, let names = try? manager.contentsOfDirectory(atPath: absolute) else { continue }
                for name in names.sorted() where !Self.skipped.contains(name) {
                    let child = (absolute as NSString).appendingPathComponent(name)
                    // Symbolic links are not followed: a link could lead outside the folder.
                    guard let kind = try? manager.attributesOfItem(atPath: child)[.type] as? FileAttributeType,
                        kind == .typeDirectory
                    else { continue }
                    queue.append(
                        (relative == "." ? name : (relative as NSString).appendingPathComponent(name), level + 1))
                }
            }
        }
        var used: Set<String> = []
        return found.sorted { $0.folder < $1.folder }.map { folder, path in
            let base = Self.key(for: folder == "." ? ((path as NSString).deletingLastPathComponent) : folder)
            var key = base
            var suffix = 2
            while !used.insert(key).inserted {
                key = "\(base)~\(suffix)"
                suffix += 1
            }
            return Entry(key: key, folder: folder, path: path)
        }
    }

    /// The study with this key, if the catalog holds one.
    public func study(_ key: String) -> Entry? {
        studies().first { $0.key == key }
    }

    /// A folder's key: its last component, every other character than letters, digits, `.`,
    /// `_` and `-` made `_`.
    static func key(for folder: String) -> String {
        let last = (folder as NSString).lastPathComponent
        let safe = String(
            last.unicodeScalars.map { scalar -> Character in
                let allowed =
                    scalar.isASCII
                    && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar))
                return allowed ? Character(scalar) : "_"
            })
        return safe.isEmpty || safe == "." || safe == ".." ? "study" : safe
    }
}
