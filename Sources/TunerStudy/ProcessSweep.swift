import Foundation
import Synchronization

/// Ends every process an attempt started, its `setsid` and background descendants included:
/// each attempt's processes inherit a token in `TUNER_ATTEMPT_TOKEN`, and a process whose
/// environment holds it is killed when the attempt ends. The token is also kept in the
/// attempt's `.pid` file until then, so that a search killed by SIGKILL leaves it behind and
/// the next run ends that attempt's processes before it runs anything.
enum ProcessSweep {
    /// The environment variable that carries an attempt's token.
    static let variable = "TUNER_ATTEMPT_TOKEN"

    /// A token no other attempt has: this process, the trial, the attempt and a random part.
    static func token(trial: String, attempt: Int) -> String {
        "\(getpid())-\(trial)-\(attempt)-\(UInt64.random(in: 0...UInt64.max))"
    }

    /// Whether this process has swept its study's leftovers already.
    private static let swept = Mutex<Set<String>>([])

    /// Ends the processes of attempts that a killed search left running, once per study folder
    /// and process. Runs while the study's lock is held; a `.pid` file of a process still alive
    /// is another worker's running attempt (section 9), and is left alone.
    static func once(trialsDirectory: String) {
        let first = swept.withLock { $0.insert(trialsDirectory).inserted }
        guard first, let trials = try? FileManager.default.contentsOfDirectory(atPath: trialsDirectory) else { return }
        for trial in trials {
            let folder = (trialsDirectory as NSString).appendingPathComponent(trial)
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for file in files where file.hasPrefix("attempt_") && file.hasSuffix(".pid") {
                let path = (folder as NSString).appendingPathComponent(file)
                let token = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                if let owner = Int32(token.prefix { $0 != "-" }), owner != getpid(), Foundation.kill(owner, 0) == 0 {
                    continue
                }
                if !token.isEmpty { kill(token: token) }
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }

    /// Kills (SIGKILL) every process whose environment holds the token; repeats until none is
    /// left, a bounded number of times (a dying process may fork once more).
    static func kill(token: String) {
        let needle = Array("\(variable)=\(token)\u{0}".utf8)
        let me = getpid()
        for _ in 0..<5 {
            var found = false
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
            for entry in entries {
                guard let pid = Int32(entry), pid != me,
                    let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ"),
                    contains(Array(environ), needle)
                else { continue }
                found = true
                _ = Foundation.kill(pid, SIGKILL)
            }
            guard found else { return }
            usleep(10_000)
        }
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        var start = 0
        while start + needle.count <= haystack.count {
            // Entries start after a NUL (or at the beginning).
            if start == 0 || haystack[start - 1] == 0, haystack[start..<(start + needle.count)].elementsEqual(needle) {
                return true
            }
            guard let next = haystack[start...].firstIndex(of: 0) else { return false }
            start = next + 1
        }
        return false
    }
}

/// A watchdog process for a search's command trials: it waits on a pipe that only this
/// process holds open, and when the pipe closes — the search ended, or was killed outright,
/// SIGKILL included — it kills every process of this search's attempts still marked running
/// and removes their `.pid` files. So no trial outlives a search that was killed and never
/// resumed; the attempts of other workers of the study (their tokens start with their own
/// process ids) are left alone.
final class TrialWatchdog: @unchecked Sendable {
    private let writeEnd: Int32
    private let process: Process?

    /// The script the watchdog runs: `$1` is the study's `trials` folder, `$2` the search's
    /// process id.
    static let script = """
        read -r _ || true
        for f in "$1"/*/attempt_*.pid; do
          [ -f "$f" ] || continue
          t=$(cat "$f")
          case "$t" in "$2"-*) ;; *) continue ;; esac
          for e in /proc/[0-9]*/environ; do
            if grep -qzx "TUNER_ATTEMPT_TOKEN=$t" "$e" 2>/dev/null; then p=${e#/proc/}; kill -9 "${p%/environ}" \
        2>/dev/null; fi
          done
          rm -f "$f"
        done
        """

    /// Starts the watchdog for a study's trials folder; a watchdog that cannot start leaves
    /// the next run's sweep to end what a killed search left.
    init(trialsDirectory: String) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            writeEnd = -1
            process = nil
            return
        }
        // Neither end may reach a trial: a trial holding the write end would keep the watchdog
        // waiting for as long as it lives.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let process = Process()
        // Its own session: a Ctrl-C meant for the search does not reach it.
        let setsid = "/usr/bin/setsid"
        if FileManager.default.isExecutableFile(atPath: setsid) {
            process.executableURL = URL(fileURLWithPath: setsid)
            process.arguments = ["/bin/sh", "-c", Self.script, "watchdog", trialsDirectory, "\(getpid())"]
        } else {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", Self.script, "watchdog", trialsDirectory, "\(getpid())"]
        }
        process.standardInput = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            self.process = process
        } catch {
            self.process = nil
        }
        writeEnd = fds[1]
    }

    deinit {
        if writeEnd >= 0 { close(writeEnd) }
    }
}
