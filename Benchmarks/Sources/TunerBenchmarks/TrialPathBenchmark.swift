import Foundation
import GRDB
import SwiftTuner

/// The cost of one trivial trial outside the trial itself (issue: the per-trial path):
/// - instructions per trial, counted by callgrind in a child that runs only the search, split
///   into SQLite's own and everything else (the difference of two runs of different lengths, so
///   that start-up cancels out);
/// - the raw mechanism a durable trial needs: two fsynced SQLite transactions (the trial and its
///   attempt created; the attempt ended with the trial), with nothing else around them.
enum TrialPath {
    /// Trials per second of the raw mechanism: two WAL transactions per trial at `synchronous`.
    static func rawRate(_ work: String, synchronous: String, trials: Int) throws -> Double {
        let path = (work as NSString).appendingPathComponent("raw-\(synchronous).sqlite")
        try? FileManager.default.removeItem(atPath: path)
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = \(synchronous)")
        }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE trial (number INTEGER PRIMARY KEY, status TEXT, hyperparameters TEXT, score DOUBLE);
                    CREATE TABLE attempt (id INTEGER PRIMARY KEY, trial INTEGER, outcome TEXT, metrics TEXT);
                    """)
        }
        let start = DispatchTime.now()
        for number in 0..<trials {
            try queue.write { db in
                try db.cachedStatement(sql: "INSERT INTO trial (number, status, hyperparameters) VALUES (?, ?, ?)")
                    .execute(arguments: [number, "RUNNING", #"{"x":{"float":0.01},"y":{"float":0.5}}"#])
                try db.cachedStatement(sql: "INSERT INTO attempt (trial) VALUES (?)").execute(arguments: [number])
            }
            try queue.write { db in
                try db.cachedStatement(sql: "UPDATE attempt SET outcome = ?, metrics = ? WHERE trial = ?")
                    .execute(arguments: ["completed", #"{"val_loss":0.5}"#, number])
                try db.cachedStatement(sql: "UPDATE trial SET status = ?, score = ? WHERE number = ?")
                    .execute(arguments: ["COMPLETED", 0.5, number])
            }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return Double(trials) / elapsed
    }

    /// Instructions per trivial trial, in SQLite and outside it, from two callgrind runs of the
    /// child; `nil` where valgrind is missing.
    static func instructions(work: String) throws -> (sqlite: Double, rest: Double)? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/valgrind") else { return nil }
        // valgrind cannot read Swift's debug information: a copy without it.
        let child = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("TunerTrialPath").path
        let binary = (work as NSString).appendingPathComponent("TunerTrialPath-stripped")
        try run("/usr/bin/strip", ["-o", binary, child])
        var totals: [(trials: Int, costs: [String: Double])] = []
        for trials in [300, 1300] {
            let out = (work as NSString).appendingPathComponent("callgrind-\(trials).out")
            try run(
                "/usr/bin/valgrind",
                [
                    "--tool=callgrind", "--callgrind-out-file=\(out)", binary, work, "\(trials)", "normal",
                ])
            totals.append((trials, try selfCostByObject(out)))
        }
        let span = Double(totals[1].trials - totals[0].trials)
        var sqlite = 0.0, rest = 0.0
        for object in Set(totals[0].costs.keys).union(totals[1].costs.keys) {
            let perTrial = ((totals[1].costs[object] ?? 0) - (totals[0].costs[object] ?? 0)) / span
            if (object as NSString).lastPathComponent.hasPrefix("libsqlite3") {
                sqlite += perTrial
            } else {
                rest += perTrial
            }
        }
        return (sqlite, rest)
    }

    /// The instructions a callgrind profile counts in each object file (self cost only: the
    /// inclusive cost of calls is left out).
    static func selfCostByObject(_ path: String) throws -> [String: Double] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var names: [String: String] = [:]
        var costs: [String: Double] = [:]
        var object = "?"
        var afterCall = false
        func resolve(_ value: Substring) -> String {
            // "(3) /path" defines id 3; "(3)" refers to it.
            guard value.hasPrefix("("), let close = value.firstIndex(of: ")") else { return String(value) }
            let id = String(value[value.startIndex...close])
            let rest = value[value.index(after: close)...].trimmingCharacters(in: .whitespaces)
            if !rest.isEmpty { names[id] = rest }
            return names[id] ?? id
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("ob=") {
                object = resolve(line.dropFirst(3))
            } else if line.hasPrefix("cob=") {
                _ = resolve(line.dropFirst(4))
            } else if line.hasPrefix("calls=") {
                afterCall = true
            } else if let first = line.first, first.isNumber || first == "+" || first == "-" || first == "*" {
                if afterCall {
                    afterCall = false
                    continue
                }
                let fields = line.split(separator: " ")
                if fields.count >= 2, let cost = Double(fields[1]) { costs[object, default: 0] += cost }
            }
        }
        return costs
    }

    static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TrialPathError(description: "\(executable) \(arguments.joined(separator: " ")) failed")
        }
    }
}

struct TrialPathError: Error, CustomStringConvertible {
    var description: String
}
