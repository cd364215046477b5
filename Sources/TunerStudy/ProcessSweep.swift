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
    /// and process. Runs while the study's writer lock is held, so every `.pid` file there is
    /// a dead search's.
    static func once(trialsDirectory: String) {
        let first = swept.withLock { $0.insert(trialsDirectory).inserted }
        guard first, let trials = try? FileManager.default.contentsOfDirectory(atPath: trialsDirectory) else { return }
        for trial in trials {
            let folder = (trialsDirectory as NSString).appendingPathComponent(trial)
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for file in files where file.hasPrefix("attempt_") && file.hasSuffix(".pid") {
                let path = (folder as NSString).appendingPathComponent(file)
                if let token = try? String(contentsOfFile: path, encoding: .utf8), !token.isEmpty {
                    kill(token: token)
                }
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
                      contains(Array(environ), needle) else { continue }
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
            if start == 0 || haystack[start - 1] == 0, haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
            guard let next = haystack[start...].firstIndex(of: 0) else { return false }
            start = next + 1
        }
        return false
    }
}
