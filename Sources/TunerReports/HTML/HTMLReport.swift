import Foundation
import TunerCore
import TunerJournal

/// A study as one self-contained HTML file: inline CSS and SVG charts, no script, no
/// network, a strict Content-Security-Policy, deterministic output (no wall-clock time), and
/// well-formed XML syntax so that tests can parse it.
///
/// ```swift
/// let html = HTMLReport(snapshot: try StudySnapshot(journal: journal)).render()
/// try html.write(toFile: "report.html", atomically: true, encoding: .utf8)
/// ```
public struct HTMLReport: Sendable {
    /// The study.
    public var snapshot: StudySnapshot
    /// The most points a chart draws; larger studies are sampled evenly (the best trial kept).
    public var chartLimit: Int
    /// The most trials the timeline draws.
    public var timelineLimit: Int
    /// The most rows of the trials table: a larger study lists its best trials, then the
    /// others by id, and says how to see them all.
    public var tableLimit: Int
    /// The most trials whose failed attempts are detailed one by one, failed trials first.
    public var failureLimit: Int
    /// The most traces shown for one error type; every attempt's trace is in the journal and
    /// the export. A snapshot read ``StudySnapshot/Reading/summary(tracesPerErrorType:)`` with at
    /// least this many holds every trace the report shows.
    public var tracesPerType: Int

    /// How the page is delivered: a file that stands alone, or a page of `tuner serve`.
    public var page: Page

    /// The traces shown for one error type unless told otherwise, as many as a snapshot read
    /// ``StudySnapshot/Reading/html`` holds.
    public static let defaultTracesPerType = 50

    /// How a report's page is delivered.
    public enum Page: Sendable, Equatable {
        /// One self-contained file: inline CSS, no script, its policy in a `meta` element.
        case standalone
        /// A page of the live dashboard: the stylesheet and the script are the server's own
        /// files, the policy is the server's header, and trials link to their own pages.
        case served(ServedPage)
    }

    /// The addresses a served page links to, all on the server that serves it.
    public struct ServedPage: Sendable, Equatable {
        /// The page listing every study.
        public var home: String
        /// The stylesheet (``HTMLReport/stylesheet``).
        public var stylesheet: String
        /// The script that keeps the page live.
        public var script: String
        /// The study's Server-Sent Events stream.
        public var events: String
        /// A trial's page is this followed by its number.
        public var trialPrefix: String
        /// The page itself, without a query.
        public var address: String
        /// The metrics whose learning curves the page offers to draw (a choice is shown for
        /// more than one); the page's query `metric` names the one drawn.
        public var metrics: [String]

        /// Makes the addresses of a served page.
        public init(
            home: String, stylesheet: String, script: String, events: String, trialPrefix: String,
            address: String = "", metrics: [String] = []
        ) {
            self.home = home
            self.stylesheet = stylesheet
            self.script = script
            self.events = events
            self.trialPrefix = trialPrefix
            self.address = address
            self.metrics = metrics
        }
    }

    /// The report's stylesheet, as a standalone page inlines it and a served page links it.
    public static var stylesheet: String { css }

    /// A number as the report prints it: four significant digits (`%.4g`), `NaN`, `inf`.
    public static func number(_ value: Double) -> String { reportNumber(value) }

    /// Makes a report.
    public init(
        snapshot: StudySnapshot, chartLimit: Int = 1500, timelineLimit: Int = 120, tableLimit: Int = 1000,
        failureLimit: Int = 200, tracesPerType: Int = HTMLReport.defaultTracesPerType, page: Page = .standalone
    ) {
        self.page = page
        self.snapshot = snapshot
        self.chartLimit = chartLimit
        self.timelineLimit = timelineLimit
        self.tableLimit = tableLimit
        self.failureLimit = failureLimit
        self.tracesPerType = tracesPerType
    }

    /// The status of a trial in words, as the table and legends print it.
    static func statusWord(_ trial: TrialRecord, attempts: [AttemptRecord]) -> String {
        switch trial.status {
        case .completed:
            let retries = attempts.filter { $0.counted && $0.outcome != .completed }.count
            return retries > 0 ? "completed after \(retries) failed attempt\(retries == 1 ? "" : "s")" : "completed"
        case .failed: return "failed"
        case .stopped:
            return attempts.last?.outcome == .fatal ? "stopped by a fatal error" : "stopped (interrupted)"
        case .running: return "running"
        case .invalid: return "retry scheduled"
        case .idle: return "idle"
        }
    }

    /// The whole page.
    public func render() -> String {
        var html = HTMLBuilder()
        let study = snapshot.study
        html.raw("<!DOCTYPE html>\n")
        html.open("html", ["lang": "en", "xmlns": "http://www.w3.org/1999/xhtml"])
        html.open("head")
        html.empty("meta", ["charset": "utf-8"])
        switch page {
        case .standalone:
            html.empty(
                "meta",
                [
                    "http-equiv": "Content-Security-Policy",
                    "content": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
                ])
        case .served: break
        }
        html.empty("meta", ["name": "viewport", "content": "width=device-width, initial-scale=1"])
        html.element("title", "Study \(study.name) — SwiftTuner report")
        switch page {
        case .standalone:
            html.open("style")
            html.raw(Self.css)
            html.close("style")
        case .served(let served):
            html.empty("link", ["rel": "stylesheet", "href": served.stylesheet])
            html.open("script", ["src": served.script, "defer": "defer"])
            html.close("script")
        }
        html.close("head")
        if case .served(let served) = page {
            // The newest instant the page shows, so that a live view can tell how fresh it is.
            html.open(
                "body",
                ["data-events": served.events, "data-journal-time": snapshot.lastActivity.map { String($0) } ?? "0"])
        } else {
            html.open("body")
        }
        html.raw(
            "<svg class=\"defs\" aria-hidden=\"true\" focusable=\"false\" xmlns=\"http://www.w3.org/2000/svg\">"
                + Self.patterns + "</svg>")
        html.open("header")
        if case .served(let served) = page {
            html.open("p", ["class": "crumbs"])
            html.element("a", ["href": served.home], "All studies")
            html.close("p")
            // Filled in by the live script: whether the page follows the journal.
            html.element("p", ["id": "live", "class": "live", "role": "status"], "")
        }
        html.element("h1", "Study \(study.name)")
        cards(&html)
        if case .served = page { latestAttempts(&html) }
        html.close("header")
        html.open("nav", ["aria-label": "Sections"])
        html.open("ul")
        for (id, title) in [
            ("best", "Best trial"), ("history", "Optimization history"), ("trials", "Trials"),
            ("failures", "Failures and retries"), ("timeline", "Attempts timeline"),
            ("parallel", "Parallel coordinates"), ("importance", "Parameter importance"),
            ("curves", "Learning curves"), ("configuration", "Configuration"),
        ] {
            html.open("li")
            html.element("a", ["href": "#\(id)"], title)
            html.close("li")
        }
        html.close("ul")
        html.close("nav")
        html.open("main")
        bestSection(&html)
        historySection(&html)
        trialsSection(&html)
        failuresSection(&html)
        timelineSection(&html)
        parallelSection(&html)
        importanceSection(&html)
        curvesSection(&html)
        configurationSection(&html)
        html.close("main")
        html.open("footer")
        html.element("p", "Made by SwiftTuner from the study journal alone.")
        html.close("footer")
        html.close("body")
        html.close("html")
        html.raw("\n")
        return html.output
    }

    // MARK: - Header and tables

    func cards(_ html: inout HTMLBuilder) {
        // Counted in one pass: a large study's trials are never copied to be counted.
        var completed = 0, flaky = 0, failed = 0, running = 0, retries = 0, interrupted = 0
        var ended = 0, endedTime = 0.0
        for trial in snapshot.trials {
            var previousFailed = false
            for attempt in snapshot.attempts[trial.number] ?? [] {
                if previousFailed { retries += 1 }
                previousFailed = attempt.counted && attempt.outcome != nil && attempt.outcome != .completed
                if attempt.outcome == .interrupted { interrupted += 1 }
                if attempt.outcome != nil { endedTime += attempt.duration ?? 0 }
            }
            if trial.endedAt != nil { ended += 1 }
            switch trial.status {
            case .completed:
                completed += 1
                if (snapshot.attempts[trial.number] ?? []).contains(where: { $0.counted && $0.outcome != .completed }) {
                    flaky += 1
                }
            case .failed: failed += 1
            case .running, .invalid: running += 1
            default: break
            }
        }
        var items: [(String, String)] = [
            (
                "Objective",
                "\(snapshot.objective.name) (\(snapshot.objective.direction == .min ? "minimize" : "maximize"))"
            ),
            ("Status", snapshot.statusInWords),
            ("Completed", "\(completed - flaky)"),
            ("Completed after retry", "\(flaky)"),
            ("Failed", "\(failed)"),
        ]
        if running > 0 { items.append(("Running", "\(running)")) }
        let limit = snapshot.limits?.maxConsecutiveFailedTrials
        items += [
            ("Failure streak", "\(snapshot.study.streak)" + (limit.map { " of \($0) allowed" } ?? ", no limit")),
            ("Retries", "\(retries)"),
            ("Interrupted attempts", "\(interrupted)"),
            ("Not run", "\(snapshot.notRunCount)"),
            ("Sessions", "\(snapshot.sessions.count)"),
            ("Total time", formatDuration(snapshot.totalTime)),
            ("First started", snapshot.sessions.first.map { reportTimestamp($0.startedAt) } ?? "–"),
            ("Last activity", snapshot.lastActivity.map(reportTimestamp) ?? "–"),
            ("Tuner", snapshot.study.tunerKind.rawValue),
            ("Seed", String(snapshot.study.studySeed)),
        ]
        // What is left, at the pace of the trials that ended, shared by the workers running now.
        let left = snapshot.notRunCount + running
        if snapshot.searchStatus == "running", left > 0, ended > 0 {
            let workers = max(1, snapshot.sessions.filter { $0.endedAt == nil }.count)
            let seconds = endedTime / Double(ended) * Double(left) / Double(workers)
            items.append(("Time left", "about \(formatDuration(seconds)) (\(left) trials)"))
        }
        html.open("div", ["class": "cards"])
        for (term, value) in items {
            html.open("dl")
            html.element("dt", term)
            html.element("dd", value)
            html.close("dl")
        }
        html.close("div")
        if let reason = snapshot.stopReason, reason != .completed, let message = snapshot.sessions.last?.message {
            html.open("p", ["class": "stop"])
            html.element("strong", "Why it stopped: ")
            html.text(ReportText.message(message))
            html.close("p")
        }
    }

    /// The newest attempts, newest first: the list a live page keeps current from its events.
    func latestAttempts(_ html: inout HTMLBuilder) {
        var newest: [AttemptRecord] = []
        for attempt in snapshot.attempts.values.joined() {
            newest.append(attempt)
            if newest.count > 16 {
                newest.sort { ($0.id ?? 0) > ($1.id ?? 0) }
                newest.removeLast(newest.count - 8)
            }
        }
        newest.sort { ($0.id ?? 0) > ($1.id ?? 0) }
        html.open("div", ["class": "latest"])
        html.element("h2", ["id": "latest-title"], "Latest attempts")
        html.open("ol", ["id": "latest", "aria-labelledby": "latest-title"])
        for attempt in newest.prefix(8) {
            html.element("li", Self.attemptLine(attempt))
        }
        html.close("ol")
        html.close("div")
    }

    /// An attempt in one line, as the list of the latest attempts shows it.
    static func attemptLine(_ attempt: AttemptRecord) -> String {
        "Trial \(trialID(attempt.trial)), attempt \(attempt.number): \(attempt.outcomeText)"
            + (attempt.errorType.map { " — \($0)" } ?? "")
            + (attempt.message.map { ": \(String(ReportText.message($0).prefix(200)))" } ?? "")
    }

    func bestSection(_ html: inout HTMLBuilder) {
        html.open("section", ["id": "best", "aria-labelledby": "best-title"])
        html.element("h2", ["id": "best-title"], "Best trial")
        guard let best = snapshot.bestTrial else {
            html.element("p", "No trial completed: there is no best trial (failed trials never rank).")
            html.close("section")
            return
        }
        let attempts = snapshot.attempts[best.number] ?? []
        html.open("p")
        html.text("Trial \(best.trialID) reached \(snapshot.objective.name) = \(reportNumber(best.score ?? .nan)) ")
        html.text(
            "after \(attempts.count) attempt\(attempts.count == 1 ? "" : "s") " +
                "(\(Self.statusWord(best, attempts: attempts)))."
        )
        html.close("p")
        openTable(
            &html, caption: "Hyperparameters of trial \(best.trialID)", columns: ["Hyperparameter", "Value"],
            class: "params")
        for (name, value) in snapshot.values(of: best) {
            html.open("tr")
            html.element("th", ["scope": "row"], name)
            html.element("td", value.description)
            html.close("tr")
        }
        closeTable(&html)
        Self.reproduction(&html, values: snapshot.values(of: best), trialSeed: best.trialSeed)
        html.close("section")
    }

    /// Writes the paragraph that tells how to run a trial again: its hyperparameters' exact
    /// values and its seed.
    public static func reproduction(
        _ html: inout HTMLBuilder, values: [(name: String, value: HyperParameterValue)], trialSeed: UInt64
    ) {
        let line = values.map { "\($0.name)=\($0.value.exactDescription)" }.joined(separator: ", ")
        html.open("p")
        html.text("To reproduce: run the hypermodel with ")
        html.element("code", line.isEmpty ? "no hyperparameters" : line)
        html.text(" and trial seed ")
        html.element("code", String(trialSeed))
        html.text(" (the seed the trial's training drew all its randomness from).")
        html.close("p")
    }

    /// Completed trials best first, then the others by id.
    var rankedTrials: [TrialRecord] {
        let completed = snapshot.trials.ranked(by: snapshot.objective)
        let rest = snapshot.trials.filter { !($0.status == .completed && ($0.score?.isFinite ?? false)) }
        return completed + rest
    }

    /// The rows of the trials table and its caption: every trial, or for a study over
    /// ``tableLimit`` trials, the best half of the limit and then the others by id.
    var tableRows: (rows: [TrialRecord], caption: String) {
        let total = snapshot.trials.count
        guard total > tableLimit else {
            return (rankedTrials, "All \(total) trials, best first, then the others by id")
        }
        // Ranked by (score, number) pairs: a large study's trials are not copied to be sorted.
        var scored: [(score: Double, number: Int)] = [], rest: [Int] = []
        for trial in snapshot.trials {
            if trial.status == .completed, let score = trial.score, score.isFinite {
                scored.append((score, trial.number))
            } else {
                rest.append(trial.number)
            }
        }
        scored.sort { snapshot.objective.ranks($0, before: $1) }
        let completed = scored
        let best = completed.prefix(max(tableLimit / 2, tableLimit - rest.count))
            .compactMap { snapshot.trial($0.number) }
        let others = rest.prefix(tableLimit - best.count).compactMap { snapshot.trial($0) }
        let shown =
            rest.isEmpty
            ? "The best \(best.count) of \(total) trials"
            : "The best \(best.count) of \(completed.count) completed trials, then \(others.count) of the "
                + "\(rest.count) others by id: \(best.count + others.count) of \(total) trials"
        return (best + others, shown + ". `tuner export` lists every trial (CSV or JSON).")
    }

    func trialsSection(_ html: inout HTMLBuilder) {
        html.open("section", ["id": "trials", "aria-labelledby": "trials-title"])
        html.element("h2", ["id": "trials-title"], "Trials")
        let names = snapshot.space.names
        let (rows, caption) = tableRows
        openTable(
            &html, caption: caption, columns: ["Trial", "Status", snapshot.objective.name, "Attempts", "Time"] + names)
        for trial in rows {
            let attempts = snapshot.attempts[trial.number] ?? []
            let values = (try? trial.values()) ?? [:]
            html.open("tr", ["id": "trial-\(trial.trialID)"])
            if case .served(let served) = page {
                html.open("th", ["scope": "row"])
                html.element("a", ["href": served.trialPrefix + String(trial.number)], trial.trialID)
                html.close("th")
            } else {
                html.element("th", ["scope": "row"], trial.trialID)
            }
            html.element("td", Self.statusWord(trial, attempts: attempts))
            html.element("td", trial.score.map(reportNumber) ?? "–")
            html.element("td", "\(attempts.count)")
            html.element("td", formatDuration(attempts.reduce(0) { $0 + ($1.duration ?? 0) }))
            for name in names { html.element("td", values[name]?.description ?? "–") }
            html.close("tr")
        }
        closeTable(&html)
        html.close("section")
    }

    func failuresSection(_ html: inout HTMLBuilder) {
        html.open("section", ["id": "failures", "aria-labelledby": "failures-title"])
        html.element("h2", ["id": "failures-title"], "Failures and retries")
        let troubled = snapshot.troubledTrialNumbers
        if troubled.isEmpty {
            html.element("p", "Every attempt completed.")
        } else {
            errorTypesTable(&html)
            failureRateTable(&html)
        }
        // Failed trials first, then the others that had a failed attempt, each by id.
        let listed = troubled.prefix(failureLimit).compactMap { snapshot.trial($0) }
        if listed.count < troubled.count {
            html.element(
                "p",
                "The attempts of \(listed.count) of the \(troubled.count) trials with a failed attempt, failed trials "
                    + "first. `tuner export --format json` gives every attempt with its trace.")
        }
        // The traces shown: the ones a snapshot read for this page holds (`Reading.html`).
        let shownTraces = Set(StudySnapshot.shownTraces(troubled, snapshot.attempts, limit: tracesPerType))
        var leftOutSaid: Set<String> = []
        for trial in listed {
            let attempts = snapshot.attempts[trial.number] ?? []
            html.open("details")
            html.open("summary")
            html.text("Trial \(trial.trialID): \(Self.statusWord(trial, attempts: attempts))")
            if let message = trial.message { html.text(" — \(ReportText.message(message))") }
            html.close("summary")
            html.open("ol")
            for attempt in attempts {
                html.open("li")
                html.open("p")
                html.element("strong", "Attempt \(attempt.number): \(attempt.outcomeText)")
                html.text(" in \(formatDuration(attempt.duration ?? 0))\(attempt.counted ? "" : ", not counted")")
                if let type = attempt.errorType {
                    html.text(" — \(type): \(ReportText.message(attempt.message ?? ""))")
                }
                html.close("p")
                if attempt.outcome != .completed {
                    let type = attempt.errorType ?? attempt.outcomeText
                    if let id = attempt.id, shownTraces.contains(id) {
                        if let trace = attempt.trace { html.element("pre", ReportText.text(trace)) }
                    } else if leftOutSaid.insert(type).inserted {
                        html.element(
                            "p",
                            "Later \(type) traces are left out (\(tracesPerType) shown); the journal and the export "
                                + "keep them all.")
                    }
                }
                html.close("li")
            }
            html.close("ol")
            html.close("details")
        }
        html.close("section")
    }

    /// The failed attempts grouped by error type, most frequent first: how many attempts and
    /// trials each type hit, the first trial it hit and its first message.
    func errorTypesTable(_ html: inout HTMLBuilder) {
        struct Group {
            var attempts = 0
            var trials = Set<Int>()
            var first: AttemptRecord
        }
        var groups: [String: Group] = [:]
        for trial in snapshot.trials {
            for attempt in snapshot.attempts[trial.number] ?? [] where attempt.outcome != .completed {
                guard attempt.outcome != nil else { continue }
                let type = attempt.errorType ?? attempt.outcomeText
                groups[type, default: Group(first: attempt)].attempts += 1
                groups[type]?.trials.insert(trial.number)
            }
        }
        guard !groups.isEmpty else { return }
        let ordered = groups.sorted { a, b in
            a.value.attempts != b.value.attempts ? a.value.attempts > b.value.attempts : a.key < b.key
        }
        openTable(
            &html, caption: "Failed attempts by error type, most frequent first",
            columns: ["Error type", "Attempts", "Trials", "First seen", "First message"])
        for (type, group) in ordered {
            html.open("tr")
            html.element("th", ["scope": "row"], type)
            html.element("td", "\(group.attempts)")
            html.element("td", "\(group.trials.count)")
            html.element("td", "trial \(trialID(group.first.trial)), attempt \(group.first.number)")
            html.element("td", ReportText.message(group.first.message ?? ""))
            html.close("tr")
        }
        closeTable(&html)
    }

    /// The share of failed attempts against each hyperparameter: for each value, or each
    /// quarter of a numeric hyperparameter's values, how many attempts ended and how many of
    /// them failed (an interruption is not the configuration's failure and is left out).
    func failureRateTable(_ html: inout HTMLBuilder) {
        // One column of values per hyperparameter, beside each trial's counts: a trial's decoded
        // configuration lives only while it is read (50,000 of them kept cost 12 MB).
        let names = snapshot.space.names
        var columns = [[HyperParameterValue?]](repeating: [], count: names.count)
        var endedCounts: [Int] = [], failedCounts: [Int] = []
        // Reserved from the trials' count: grown by doubling, the columns held up to twice that.
        for index in columns.indices { columns[index].reserveCapacity(snapshot.trials.count) }
        endedCounts.reserveCapacity(snapshot.trials.count)
        failedCounts.reserveCapacity(snapshot.trials.count)
        for trial in snapshot.trials {
            var ended = 0, failed = 0
            for attempt in snapshot.attempts[trial.number] ?? [] {
                guard let outcome = attempt.outcome, outcome != .interrupted else { continue }
                ended += 1
                if outcome != .completed { failed += 1 }
            }
            guard ended > 0 else { continue }
            let values = (try? trial.values()) ?? [:]
            for (index, name) in names.enumerated() { columns[index].append(values[name]) }
            endedCounts.append(ended)
            failedCounts.append(failed)
        }
        func totals(_ rows: [Int]) -> (ended: Int, failed: Int) {
            rows.reduce((0, 0)) { ($0.0 + endedCounts[$1], $0.1 + failedCounts[$1]) }
        }
        var rows: [(name: String, range: String, ended: Int, failed: Int)] = []
        for (index, name) in names.enumerated() {
            let column = columns[index]
            let present = column.indices.filter { column[$0] != nil }
            guard !present.isEmpty else { continue }
            let numbers = present.compactMap { column[$0]?.doubleValue }.sorted()
            // The values as text, each once; for numbers, only until there are five (a column of
            // 50,000 distinct numbers' texts cost megabytes, and five are enough to bin them).
            let binned = numbers.count == present.count
            var distinct = Set<String>()
            for row in present {
                if let value = column[row] { distinct.insert(value.description) }
                if binned, distinct.count > 4 { break }
            }
            if binned, distinct.count > 4 {
                // Quarters of the values seen: each bin's bounds are values the trials had.
                var bounds: [Double] = []
                for quarter in 1...3 { bounds.append(numbers[numbers.count * quarter / 4]) }
                var lower = numbers[0]
                for (bin, upper) in (bounds + [numbers[numbers.count - 1]]).enumerated() {
                    let inBin = present.filter { row in
                        guard let value = column[row]?.doubleValue else { return false }
                        if bin == 3 { return value >= lower }
                        return (bin == 0 || value >= lower) && value < upper
                    }
                    let label = bin == 3 ? "\(reportNumber(lower)) to \(reportNumber(upper))"
                        : "\(reportNumber(lower)) to under \(reportNumber(upper))"
                    if !inBin.isEmpty {
                        let sum = totals(inBin)
                        rows.append((name, label, sum.ended, sum.failed))
                    }
                    lower = upper
                }
            } else {
                for value in distinct.sorted().prefix(12) {
                    let sum = totals(present.filter { column[$0]?.description == value })
                    rows.append((name, value, sum.ended, sum.failed))
                }
            }
        }
        guard !rows.isEmpty else { return }
        openTable(
            &html, caption: "Failed attempts against each hyperparameter (interruptions left out)",
            columns: ["Hyperparameter", "Values", "Attempts", "Failed", "Failed share"], class: "rates")
        for row in rows {
            html.open("tr")
            html.element("th", ["scope": "row"], row.name)
            html.element("td", row.range)
            html.element("td", "\(row.ended)")
            html.element("td", "\(row.failed)")
            html.element("td", "\(row.ended == 0 ? 0 : (row.failed * 200 + row.ended) / (row.ended * 2)) %")
            html.close("tr")
        }
        closeTable(&html)
    }

    /// Opens a table that scrolls on a narrow screen: its caption, its column headers, its body.
    func openTable(_ html: inout HTMLBuilder, caption: String, columns: [String], class name: String? = nil) {
        html.open("div", ["class": "scroll"])
        if let name { html.open("table", ["class": name]) } else { html.open("table") }
        html.element("caption", caption)
        html.open("thead")
        html.open("tr")
        for title in columns { html.element("th", ["scope": "col"], title) }
        html.close("tr")
        html.close("thead")
        html.open("tbody")
    }

    /// Closes a table ``openTable(_:caption:columns:class:)`` opened.
    func closeTable(_ html: inout HTMLBuilder) {
        html.close("tbody")
        html.close("table")
        html.close("div")
    }

    func configurationSection(_ html: inout HTMLBuilder) {
        html.open("section", ["id": "configuration", "aria-labelledby": "configuration-title"])
        html.element("h2", ["id": "configuration-title"], "Configuration")
        openTable(&html, caption: "Search space", columns: ["Hyperparameter", "Type", "Definition"])
        for definition in snapshot.space.definitions {
            html.open("tr")
            html.element("th", ["scope": "row"], definition.name)
            html.element("td", definition.className)
            html.element("td", definition.configDescription)
            html.close("tr")
        }
        closeTable(&html)
        html.open("div", ["class": "limits"])
        for (name, value) in snapshot.limitEntries {
            html.open("dl")
            html.element("dt", name)
            html.element("dd", value.map(String.init) ?? "none")
            html.close("dl")
        }
        if let definition = snapshot.study.trialDefinition,
            let object = (try? JSONSerialization.jsonObject(with: Data(definition.utf8))) as? [String: Any],
            let classes = object["classes"] as? [String]
        {
            html.open("dl")
            html.element("dt", "one-hot classes, by column")
            html.element("dd", classes.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: ", "))
            html.close("dl")
        }
        html.open("dl")
        html.element("dt", "store")
        html.element(
            "dd", "SQLite journal \(snapshot.study.name)/journal.sqlite, schema version \(snapshot.schemaVersion)")
        html.close("dl")
        html.close("div")
        if let definition = snapshot.study.trialDefinition, !definition.isEmpty {
            html.open("details")
            html.element("summary", "Trial definition, as journaled")
            html.element("pre", ReportText.text(definition))
            html.close("details")
        }
        html.close("section")
    }

    static let css = """
        :root{color-scheme:light dark;--fg:#1a1a1a;--bg:#ffffff;--muted:#555555;--line:#cccccc;--card:#f3f4f6;\
        --ok:#0072B2;--fail:#B34700;--flaky:#8A6100;--stop:#A0457A;--int:#595959;--best:#00704F}
        @media (prefers-color-scheme:dark){:root{--fg:#ececec;--bg:#161616;--muted:#b8b8b8;--line:#4a4a4a;\
        --card:#242424;--ok:#56B4E9;--fail:#F08A4B;--flaky:#E6B33C;--stop:#E394C6;--int:#b0b0b0;--best:#3CCB9A}}
        body{font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 \
        auto;max-width:1100px;padding:1rem}
        h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid var(--line)}
        nav ul{display:flex;flex-wrap:wrap;gap:.4rem 1rem;padding:0;list-style:none}
        a{color:var(--ok)}
        .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:.5rem}
        .cards dl,.limits dl{background:var(--card);padding:.5rem .7rem;border-radius:6px;margin:0}
        .defs{position:absolute;width:0;height:0;overflow:hidden}
        dt{font-size:.8rem;color:var(--muted)}dd{margin:0;font-weight:600;overflow-wrap:break-word}
        .limits{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:.5rem}
        table{border-collapse:collapse;margin:.5rem 0}th,td{border-bottom:1px solid var(--line);padding:.25rem \
        .6rem;text-align:left}
        caption{text-align:left;color:var(--muted);padding:.3rem 0}
        .scroll{overflow-x:auto;max-height:40rem;overflow-y:auto}
        pre{background:var(--card);padding:.5rem;overflow:auto;max-height:20rem;\
        white-space:pre-wrap;overflow-wrap:anywhere}
        figure{margin:1rem 0}figcaption{color:var(--muted);font-size:.9rem}
        svg{max-width:100%;height:auto;font:12px system-ui,sans-serif}
        svg text{fill:var(--fg)}.axis{stroke:var(--muted);stroke-width:1}.grid{stroke:var(--line);stroke-width:.5}
        .s-completed{fill:var(--ok);stroke:var(--ok)}.s-failed{fill:none;stroke:var(--fail);stroke-width:2}
        .s-flaky{fill:var(--flaky);stroke:var(--flaky)}.s-stopped{fill:var(--stop);stroke:var(--stop)}
        .s-interrupted{fill:var(--int);stroke:var(--int)}.bestline{fill:none;stroke:var(--best);stroke-width:2}
        .pc{fill:none;stroke-width:1;opacity:.55}.resume{stroke:var(--muted);stroke-dasharray:4 3}
        .bar{fill:var(--ok)}.s-running{fill:none;stroke:var(--int);stroke-width:1.5}
        .stop{background:var(--card);padding:.5rem .7rem;border-left:4px solid var(--fail)}
        .scroll table{min-width:max-content}
        .crumbs,.live{margin:.2rem 0;color:var(--muted)}.live:empty{display:none}
        .trouble{color:var(--fail);font-weight:600}.filter{display:block;margin:.4rem 0}.shown{margin-left:.6rem}
        .side{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,560px),1fr));gap:0 1.5rem}
        form.metric{margin:.4rem 0}form.metric select,form.metric button{font:inherit;margin-left:.4rem}
        .latest ol{margin:.2rem 0;padding-left:1.4rem;font-size:.9rem}.latest h2{font-size:1rem;margin:.6rem 0 .2rem}
        button.sort{font:inherit;font-weight:600;background:none;border:0;padding:0;color:inherit;cursor:pointer}
        @media print{.scroll,pre{overflow:visible;max-height:none}\
        details::details-content{content-visibility:visible;display:block}
        nav{display:none}body{max-width:none}}
        """
}

/// Formats seconds as `1h 02m 03s`, `2m 03s` or `4.2s`.
func formatDuration(_ seconds: Double) -> String {
    let s = seconds.isFinite ? max(0, seconds) : 0
    if s < 60 { return String(format: "%.1fs", s) }
    let total = Int(s)
    if total < 3600 { return String(format: "%dm %02ds", total / 60, total % 60) }
    return String(format: "%dh %02dm %02ds", total / 3600, (total / 60) % 60, total % 60)
}
