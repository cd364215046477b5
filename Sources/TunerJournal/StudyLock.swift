import Foundation
import TunerCore
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive, advisory lock on a study, held by the one process that writes it (S26).
///
/// The lock is a `flock` on a file beside the journal: the kernel releases it when its
/// process dies, even by SIGKILL, so a lock left by a dead process is simply taken over.
///
/// ```swift
/// let lock = try StudyLock(path: journalPath + ".lock")   // nil when another process holds it
/// ```
public final class StudyLock: Sendable {
    /// The lock file's path.
    public let path: String
    private let descriptor: Int32

    /// Takes the lock, or returns `nil` when another live process holds it.
    ///
    /// A shared lock is held by the workers of one study together (section 9): it keeps out a
    /// process that wants the study for itself alone, and is kept out by one.
    ///
    /// - Throws: ``JournalError`` when the lock file cannot be created.
    public init?(path: String, shared: Bool = false) throws {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw JournalError(
                .writeFailed, path: path, "cannot create the lock file: \(String(cString: strerror(errno)))")
        }
        if flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0 {
            close(fd)
            return nil
        }
        if !shared {
            // Say who holds it, for the error a second process gets.
            let since = formatTimestamp(Date().timeIntervalSince1970)
            let owner = "process \(getpid()) on host \(hostName()) (since \(since))"
            _ = ftruncate(fd, 0)
            _ = owner.withCString { pwrite(fd, $0, strlen($0), 0) }
        }
        self.path = path
        self.descriptor = fd
    }

    /// Runs `body` when no other process holds this shared lock, and says whether it ran: the
    /// lock is tried as exclusive without waiting, then taken back as shared. Used to migrate or
    /// consolidate a journal only when no other worker has it open (S25, S26b).
    func ifAlone(_ body: () throws -> Void) rethrows -> Bool {
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            _ = flock(descriptor, LOCK_SH | LOCK_NB)
            return false
        }
        defer { _ = flock(descriptor, LOCK_SH | LOCK_NB) }
        try body()
        return true
    }

    /// Whether a live process holds the lock at `path`, found without taking it (a reader
    /// must never stand in a writer's way, S26a): Linux lists every `flock` in `/proc/locks`
    /// by the file's device and inode. `nil` where that list cannot be read.
    public static func isHeld(path: String) -> Bool? {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        guard let text = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return nil }
        let major = (info.st_dev >> 8) & 0xfff, minor = (info.st_dev & 0xff) | ((info.st_dev >> 12) & 0xfff00)
        let identity = String(format: "%02x:%02x:%lu", major, minor, UInt(info.st_ino))
        return text.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.contains("FLOCK") && fields.contains { $0 == identity }
        }
    }

    /// Who holds the lock at `path`, as its holder wrote it.
    public static func owner(path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else { return nil }
        return text
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// A blocking lock taken around every write transaction of a study's workers, so that they
/// take turns: SQLite's busy handler lets the process that just committed win again, which
/// starves the others (section 9). The kernel queues `flock` waiters and wakes one per release.
final class WriteGate: Sendable {
    private let descriptor: Int32

    /// Opens (or creates) the gate file.
    init(path: String) throws {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw JournalError(
                .writeFailed, path: path, "cannot create the write gate: \(String(cString: strerror(errno)))")
        }
        descriptor = fd
    }

    /// Runs `body` holding the gate.
    func withGate<T>(_ body: () throws -> T) rethrows -> T {
        while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    deinit { close(descriptor) }
}
