import Foundation
import TunerCore
import TunerJournal

/// A study as JUnit XML for CI systems: one `<testsuite>` per study, one `<testcase>` per
/// trial, retries as Surefire's `flakyFailure` / `rerunFailure`, the fatal trial as an
/// `error`, trials never run as `skipped`, and a `search` testcase in error when the
/// consecutive-failure limit stopped the search.
///
/// The file validates against `junit-10.xsd` and each suite against the current Surefire
/// schema (`Fixtures/schemas/junit/`).
///
/// ```swift
/// let report = JUnitReport(snapshots: [try StudySnapshot(journal: journal)])
/// try report.document().write(to: URL(fileURLWithPath: "junit.xml"))
/// ```
public struct JUnitReport: Sendable {
    /// The studies, one suite each.
    public var snapshots: [StudySnapshot]
    /// The root's name and the suites' name prefix.
    public var prefix: String

    /// Makes a report of studies.
    public init(snapshots: [StudySnapshot], prefix: String = "swifttuner") {
        self.snapshots = snapshots
        self.prefix = prefix
    }

    /// The suite name of a study: `<prefix>.<study>`, dots in the study name replaced by `_`.
    public func suiteName(_ snapshot: StudySnapshot) -> String {
        prefix + "." + ReportText.sanitize(snapshot.study.name).replacingOccurrences(of: ".", with: "_")
    }

    /// The whole file: `<testsuites>` with every study's suite.
    public func document() throws -> Data {
        let suites = snapshots.map(JUnitSuite.init(snapshot:))
        let writer = try XMLWriter()
        try writer.start(
            "testsuites",
            pairs: [
                ("name", ReportText.sanitize(prefix)),
                ("tests", String(suites.reduce(0) { $0 + $1.tests })),
                ("failures", String(suites.reduce(0) { $0 + $1.failures })),
                ("errors", String(suites.reduce(0) { $0 + $1.errors })),
                ("time", reportSeconds(suites.reduce(0) { $0 + $1.time })),
            ])
        for (snapshot, suite) in zip(snapshots, suites) { try write(suite, of: snapshot, to: writer) }
        try writer.end()
        return try writer.finish()
    }

    /// One study's suite as a document of its own (the root Surefire's schema expects).
    public func suiteDocument(_ index: Int) throws -> Data {
        let writer = try XMLWriter()
        try write(JUnitSuite(snapshot: snapshots[index]), of: snapshots[index], to: writer)
        return try writer.finish()
    }

    private func write(_ suite: JUnitSuite, of snapshot: StudySnapshot, to writer: XMLWriter) throws {
        let name = suiteName(snapshot)
        try writer.start(
            "testsuite",
            pairs: [
                ("name", name),
                ("tests", String(suite.tests)),
                ("failures", String(suite.failures)),
                ("errors", String(suite.errors)),
                ("skipped", String(suite.skipped)),
                ("time", reportSeconds(suite.time)),
                ("timestamp", reportTimestamp(snapshot.study.createdAt)),
            ])
        try writer.start("properties")
        for (key, value) in suite.properties {
            try writer.element(
                "property", pairs: [("name", ReportText.message(key)), ("value", ReportText.message(value))])
        }
        try writer.end()
        for testcase in suite.cases {
            try writer.start(
                "testcase",
                pairs: [("name", testcase.name), ("classname", name), ("time", reportSeconds(testcase.time))])
            for child in testcase.children {
                var pairs: [(String, String)] = []
                if let message = child.message { pairs.append(("message", ReportText.message(message))) }
                if let type = child.type { pairs.append(("type", ReportText.message(type))) }
                try writer.start(child.element.rawValue, pairs: pairs)
                if let text = child.text {
                    if child.element.wrapsTrace {
                        try writer.element("stackTrace", text: ReportText.text(text))
                    } else {
                        try writer.text(ReportText.text(text))
                    }
                }
                try writer.end()
            }
            try writer.end()
        }
        try writer.end()
    }
}

/// One suite's content, derived from a snapshot.
struct JUnitSuite {
    var tests = 0, failures = 0, errors = 0, skipped = 0
    var time = 0.0
    var properties: [(String, String)] = []
    var cases: [JUnitCase] = []

    init(snapshot: StudySnapshot) {
        let objective = snapshot.objective
        let study = snapshot.study
        let stopTrial = snapshot.trials.last {
            $0.status == .stopped && (snapshot.attempts[$0.number]?.last?.outcome == .fatal)
        }
        for trial in snapshot.trials {
            let testcase = JUnitCase(trial: trial, attempts: snapshot.attempts[trial.number] ?? [], snapshot: snapshot)
            cases.append(testcase)
        }
        let reason = snapshot.stopReason
        let notRun = snapshot.notRunCount
        if notRun > 0 {
            let sentence: String
            switch reason {
            case .fatal?:
                sentence =
                    "not run: the search was stopped by a fatal error"
                    + (stopTrial.map { " in trial-\($0.trialID)" } ?? "")
            case .consecutiveFailures?:
                sentence =
                    "not run: the search reached its consecutive-failure limit"
                    + (snapshot.trials.last(where: { $0.status == .failed }).map { " in trial-\($0.trialID)" } ?? "")
            case .interrupted?: sentence = "not run: the search was interrupted; it runs when the search is resumed"
            case .error?: sentence = "not run: the search stopped on an error; it runs when the search is resumed"
            case .completed?: sentence = "not run: the search completed without it"
            case nil: sentence = "not run yet: the search is still running"
            }
            for number in snapshot.trials.count..<(snapshot.trials.count + notRun) {
                cases.append(
                    JUnitCase(
                        name: "trial-\(trialID(number))", time: 0,
                        children: [.init(element: .skipped, message: sentence)]))
            }
        }
        if reason == .consecutiveFailures {
            let message = snapshot.sessions.last?.message ?? "the consecutive-failure limit was reached"
            cases.append(
                JUnitCase(
                    name: "search", time: 0,
                    children: [.init(element: .error, message: message, type: "SearchStopped", text: message)]))
        }
        for testcase in cases {
            tests += 1
            time += testcase.time
            if testcase.children.contains(where: { $0.element == .failure }) { failures += 1 }
            if testcase.children.contains(where: { $0.element == .error }) { errors += 1 }
            if testcase.children.contains(where: { $0.element == .skipped }) { skipped += 1 }
        }
        let best = snapshot.bestTrial
        properties = [
            ("study", study.name), ("objective", objective.name), ("direction", objective.direction.rawValue),
            ("tuner", study.tunerKind.rawValue), ("seed", String(study.studySeed)),
        ]
        for (name, value) in snapshot.limitEntries {
            properties.append((name, value.map(String.init) ?? "none"))
        }
        properties.append(("search.status", snapshot.searchStatus))
        properties.append(("stop.reason", reason?.rawValue ?? "running"))
        if let best {
            properties.append(("best.trial", "trial-\(best.trialID)"))
            properties.append(("best.value", best.score.map { String($0) } ?? ""))
            for (name, value) in snapshot.values(of: best) {
                properties.append(("best.param.\(name)", value.description))
            }
        }
        properties.append(("sessions", String(snapshot.sessions.count)))
        properties.append(("host", snapshot.sessions.last?.host ?? ""))
    }
}

/// One testcase and its children, in the order the schemas require.
struct JUnitCase {
    enum Element: String {
        case failure, rerunFailure, flakyFailure, skipped, error
        case systemOut = "system-out"

        var order: Int {
            switch self {
            case .failure: 0
            case .rerunFailure: 1
            case .flakyFailure: 2
            case .skipped: 3
            case .error: 4
            case .systemOut: 5
            }
        }
        var wrapsTrace: Bool { self == .rerunFailure || self == .flakyFailure }
    }

    struct Child {
        var element: Element
        var message: String?
        var type: String?
        var text: String?
    }

    var name: String
    var time: Double
    var children: [Child]

    init(name: String, time: Double, children: [Child]) {
        self.name = name
        self.time = time
        self.children = children.sorted { $0.element.order < $1.element.order }
    }

    init(trial: TrialRecord, attempts: [AttemptRecord], snapshot: StudySnapshot) {
        let values = snapshot.values(of: trial)
        var name = "trial-\(trial.trialID)"
        if !values.isEmpty {
            var parameters = values.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
            if parameters.count > 130 { parameters = String(parameters.prefix(129)) + "…" }
            name += " [\(ReportText.sanitize(parameters))]"
        }
        let total = attempts.count
        func label(_ attempt: AttemptRecord) -> String {
            "attempt \(attempt.number)/\(total): \(attempt.errorType ?? "Error"): \(attempt.message ?? "")"
        }
        let failed = attempts.filter { $0.counted && $0.outcome != .completed }
        var children: [Child] = []
        switch trial.status {
        case .completed:
            for attempt in failed {
                children.append(
                    Child(
                        element: .flakyFailure, message: label(attempt), type: attempt.errorType ?? "Error",
                        text: attempt.trace ?? label(attempt)))
            }
        case .failed:
            if let first = failed.first {
                children.append(
                    Child(
                        element: .failure, message: label(first), type: first.errorType ?? "Error",
                        text: first.trace ?? label(first)))
                for attempt in failed.dropFirst() {
                    children.append(
                        Child(
                            element: .rerunFailure, message: label(attempt), type: attempt.errorType ?? "Error",
                            text: attempt.trace ?? label(attempt)))
                }
            } else {
                let message = "attempt \(total)/\(total): \(trial.errorType ?? "Error"): \(trial.message ?? "")"
                children.append(
                    Child(element: .failure, message: message, type: trial.errorType ?? "Error", text: message))
            }
        case .stopped:
            if let fatal = attempts.last, fatal.outcome == .fatal {
                children.append(
                    Child(
                        element: .error, message: label(fatal), type: fatal.errorType ?? "FatalError",
                        text: fatal.trace ?? label(fatal)))
            } else {
                children.append(
                    Child(
                        element: .skipped,
                        message: "not finished: \(trial.message ?? "interrupted"); it is re-run first on resume"))
            }
        case .running, .invalid, .idle:
            children.append(
                Child(
                    element: .skipped,
                    message: "not finished: the trial is \(trial.status) (the search is running or was interrupted)"))
        }
        var out = ["status: \(trial.status)", "attempts: \(total) (\(attempts.filter(\.counted).count) counted)"]
        if let score = trial.score { out.append("objective \(snapshot.objective.name): \(score)") }
        // Every attempt, for readers that show neither flaky nor rerun elements (GitLab, junit2html).
        for attempt in attempts {
            var line = "attempt \(attempt.number)/\(total): \(attempt.outcomeText)"
            if let duration = attempt.duration { line += " in \(String(format: "%.3f", max(0, duration))) s" }
            if let type = attempt.errorType { line += " — \(type): \(ReportText.message(attempt.message ?? ""))" }
            line += attempt.counted ? "" : ", not counted"
            out.append(line)
        }
        for (parameter, value) in values { out.append("param.\(parameter): \(value)") }
        children.append(Child(element: .systemOut, text: out.joined(separator: "\n")))
        self.init(name: name, time: attempts.reduce(0) { $0 + max(0, $1.duration ?? 0) }, children: children)
    }
}
