import Foundation
import TunerCore
import TunerJournal
import TunerReports

/// The dashboard's own pages (the study page is the HTML report, served): the list of
/// studies, a trial's page, and the page that says a journal cannot be read.
enum DashboardPages {
    /// The head every dashboard page shares: the served stylesheet and the live script.
    static func head(_ html: inout HTMLBuilder, title: String) {
        html.raw("<!DOCTYPE html>\n")
        html.open("html", ["lang": "en"])
        html.open("head")
        html.empty("meta", ["charset": "utf-8"])
        html.empty("meta", ["name": "viewport", "content": "width=device-width, initial-scale=1"])
        html.element("title", title)
        html.empty("link", ["rel": "stylesheet", "href": DashboardRoutes.stylesheet])
        html.open("script", ["src": DashboardRoutes.script, "defer": "defer"])
        html.close("script")
        html.close("head")
    }

    /// A row's cells for a study whose journal cannot be read, and why.
    static func troubleCell(_ html: inout HTMLBuilder, _ error: any Error, columns: Int) {
        html.open("td", ["colspan": "\(columns)", "class": "trouble"])
        html.text("Cannot be read: \(ReportText.message("\(error)"))")
        html.close("td")
    }

    /// Closes a table, its body and its scrolling box.
    static func closeTable(_ html: inout HTMLBuilder) {
        html.close("tbody")
        html.close("table")
        html.close("div")
    }

    static func foot(_ html: inout HTMLBuilder) {
        html.open("footer")
        html.element("p", "Served by tuner serve, read-only, from the study journals.")
        html.close("footer")
        html.close("body")
        html.close("html")
        html.raw("\n")
    }

    /// The list of studies: status, trials, streak, best value, last activity, each linking to
    /// its page.
    static func home(_ rows: [(entry: StudyCatalog.Entry, overview: Result<StudyOverview, any Error>)]) -> String {
        var html = HTMLBuilder()
        head(&html, title: "Studies — tuner serve")
        html.open("body", ["data-events": DashboardRoutes.catalogEvents])
        html.open("header")
        html.element("p", ["id": "live", "class": "live", "role": "status"], "")
        html.element("h1", "Studies")
        html.close("header")
        html.open("main")
        if rows.isEmpty {
            html.element("p", "No study journal (journal.sqlite) was found here. Start a search, then reload.")
        } else {
            html.open("form", ["action": DashboardRoutes.compare, "method": "get"])
            html.open("div", ["class": "scroll"])
            html.open("table", ["id": "studies"])
            html.element("caption", "\(rows.count) stud\(rows.count == 1 ? "y" : "ies"), by folder")
            html.open("thead")
            html.open("tr")
            for title in ["Compare", "Study", "Folder", "Status", "Trials", "Failure streak", "Best", "Last activity"] {
                html.element("th", ["scope": "col"], title)
            }
            html.close("tr")
            html.close("thead")
            html.open("tbody")
            for (entry, overview) in rows {
                html.open("tr")
                html.open("td")
                html.empty(
                    "input",
                    ["type": "checkbox", "name": "study", "value": entry.key, "aria-label": "Compare \(entry.key)"])
                html.close("td")
                html.open("th", ["scope": "row"])
                html.element("a", ["href": DashboardRoutes.study(entry.key)], entry.key)
                html.close("th")
                html.element("td", entry.folder)
                switch overview {
                case .success(let study):
                    html.element(
                        "td", study.status == "stopped" ? "stopped (\(study.stopReason ?? "?"))" : study.status)
                    html.element("td", "\(study.trials)")
                    html.element(
                        "td",
                        "\(study.consecutiveFailedTrials)"
                            + (study.maxConsecutiveFailedTrials.map { " of \($0)" } ?? ""))
                    html.element(
                        "td", study.best.map { "\(study.objective) \(reportNumberText($0.score)) (\($0.id))" } ?? "–")
                    html.element("td", study.lastActivity.map(reportTimestamp) ?? "–")
                case .failure(let error):
                    troubleCell(&html, error, columns: 5)
                }
                html.close("tr")
            }
            closeTable(&html)
            html.element("button", ["type": "submit"], "Compare the studies chosen")
            html.close("form")
        }
        html.close("main")
        foot(&html)
        return html.output
    }

    /// Studies side by side: their best values and counts in one table, then each one's
    /// optimization history.
    static func comparison(_ studies: [(entry: StudyCatalog.Entry, snapshot: Result<StudySnapshot, any Error>)])
        -> String
    {
        var html = HTMLBuilder()
        let names = studies.map(\.entry.key).joined(separator: ", ")
        head(&html, title: "Comparing \(names) — tuner serve")
        html.open("body", ["data-events": DashboardRoutes.catalogEvents])
        html.open("header")
        html.open("p", ["class": "crumbs"])
        html.element("a", ["href": DashboardRoutes.home], "All studies")
        html.close("p")
        html.element("p", ["id": "live", "class": "live", "role": "status"], "")
        html.element("h1", "Comparing \(studies.count) stud\(studies.count == 1 ? "y" : "ies")")
        html.close("header")
        html.open("main")
        html.open("div", ["class": "scroll"])
        html.open("table", ["id": "comparison"])
        html.element("caption", "Best values and counts, side by side")
        html.open("thead")
        html.open("tr")
        for title in [
            "Study", "Tuner", "Objective", "Status", "Trials", "Completed", "Failed", "Best value", "Best trial",
            "Failure streak", "Total time",
        ] {
            html.element("th", ["scope": "col"], title)
        }
        html.close("tr")
        html.close("thead")
        html.open("tbody")
        for (entry, snapshot) in studies {
            html.open("tr")
            html.open("th", ["scope": "row"])
            html.element("a", ["href": DashboardRoutes.study(entry.key)], entry.key)
            html.close("th")
            switch snapshot {
            case .success(let study):
                let objective = study.objective
                let limit = study.limits?.maxConsecutiveFailedTrials
                let cells = [
                    study.study.tunerKind.rawValue,
                    "\(objective.name) (\(objective.direction == .min ? "minimize" : "maximize"))",
                    study.statusInWords, "\(study.trials.count)",
                    "\(study.trials.count { $0.status == .completed })",
                    "\(study.trials.count { $0.status == .failed })",
                    study.bestTrial?.score.map(reportNumberText) ?? "–",
                ]
                for cell in cells { html.element("td", cell) }
                html.open("td")
                if let best = study.bestTrial {
                    html.element(
                        "a", ["href": DashboardRoutes.trialPrefix(entry.key) + String(best.number)], best.trialID)
                } else {
                    html.text("–")
                }
                html.close("td")
                html.element("td", "\(study.study.streak)" + (limit.map { " of \($0)" } ?? ""))
                html.element("td", "\(reportSeconds(study.totalTime)) s")
            case .failure(let error):
                troubleCell(&html, error, columns: 10)
            }
            html.close("tr")
        }
        closeTable(&html)
        html.open("div", ["class": "side"])
        for (index, (entry, snapshot)) in studies.enumerated() {
            guard case .success(let study) = snapshot else { continue }
            html.raw(
                HTMLReport(snapshot: study).historyChart(
                    idPrefix: "s\(index)-", title: "Optimization history of \(entry.key)"))
        }
        html.close("div")
        html.close("main")
        foot(&html)
        return html.output
    }

    /// A trial's page: its values and seed with the line that reproduces it, every attempt
    /// with its outcome, message and trace, and every metric of every epoch.
    static func trial(
        key: String, study: StudyRecord, space: SearchSpace, trial: TrialRecord,
        attempts: [(attempt: AttemptRecord, epochs: [EpochMetricRecord])]
    ) -> String {
        var html = HTMLBuilder()
        head(&html, title: "Trial \(trial.trialID) of \(study.name) — tuner serve")
        html.open("body", ["data-events": DashboardRoutes.events(key)])
        html.open("header")
        html.open("p", ["class": "crumbs"])
        html.element("a", ["href": DashboardRoutes.home], "All studies")
        html.text(" / ")
        html.element("a", ["href": DashboardRoutes.study(key)], "Study \(study.name)")
        html.close("p")
        html.element("p", ["id": "live", "class": "live", "role": "status"], "")
        html.element("h1", "Trial \(trial.trialID) of study \(study.name)")
        html.open("div", ["class": "cards"])
        let items: [(String, String)] = [
            ("Status", trial.status.rawValue),
            (study.objectiveName, trial.score.map(reportNumberText) ?? "–"),
            ("Attempts", "\(attempts.count)"),
            ("Trial seed", String(trial.trialSeed)),
        ]
        for (term, value) in items {
            html.open("dl")
            html.element("dt", term)
            html.element("dd", value)
            html.close("dl")
        }
        html.close("div")
        html.close("header")
        html.open("main")
        html.open("section", ["id": "values", "aria-labelledby": "values-title"])
        html.element("h2", ["id": "values-title"], "Hyperparameters")
        let values = space.ordered((try? trial.values()) ?? [:])
        html.open("div", ["class": "scroll"])
        html.open("table", ["class": "params"])
        html.element("caption", "Values of trial \(trial.trialID)")
        html.open("tbody")
        for (name, value) in values {
            html.open("tr")
            html.element("th", ["scope": "row"], name)
            html.element("td", value.description)
            html.close("tr")
        }
        closeTable(&html)
        HTMLReport.reproduction(&html, values: values, trialSeed: trial.trialSeed)
        html.close("section")

        html.open("section", ["id": "attempts", "aria-labelledby": "attempts-title"])
        html.element("h2", ["id": "attempts-title"], "Attempts")
        for (attempt, epochs) in attempts {
            html.open("article", ["id": "attempt-\(attempt.number)"])
            html.element("h3", "Attempt \(attempt.number): \(attempt.outcomeText)")
            html.open("p")
            html.text(
                "Started \(reportTimestamp(attempt.startedAt)), "
                    + (attempt.duration.map { "\(reportSeconds($0)) s" } ?? "still running")
                    + (attempt.counted ? "" : ", not counted toward the retries") + ", session \(attempt.session).")
            if let type = attempt.errorType {
                html.text(" \(type): \(ReportText.message(attempt.message ?? ""))")
            } else if let message = attempt.message {
                html.text(" \(ReportText.message(message))")
            }
            html.close("p")
            if let trace = attempt.trace, !trace.isEmpty { html.element("pre", ReportText.text(trace)) }
            let names = Array(Set(epochs.map(\.name))).sorted()
            if !names.isEmpty {
                var rows: [Int: [String: Double?]] = [:]
                for epoch in epochs { rows[epoch.epoch, default: [:]][epoch.name] = epoch.value }
                html.open("div", ["class": "scroll"])
                html.open("table")
                html.element("caption", "Metrics of attempt \(attempt.number), by epoch")
                html.open("thead")
                html.open("tr")
                html.element("th", ["scope": "col"], "Epoch")
                for name in names { html.element("th", ["scope": "col"], name) }
                html.close("tr")
                html.close("thead")
                html.open("tbody")
                for epoch in rows.keys.sorted() {
                    html.open("tr")
                    html.element("th", ["scope": "row"], "\(epoch)")
                    for name in names {
                        let value = rows[epoch]?[name] ?? nil
                        html.element("td", value.map(reportNumberText) ?? "–")
                    }
                    html.close("tr")
                }
                closeTable(&html)
            }
            html.close("article")
        }
        html.close("section")
        html.close("main")
        foot(&html)
        return html.output
    }

    /// The page of a study whose journal cannot be read now: what went wrong; the page
    /// follows the journal and shows the study again once it can be read.
    static func unreadable(key: String, message: String) -> String {
        var html = HTMLBuilder()
        head(&html, title: "Study \(key) cannot be read — tuner serve")
        html.open("body", ["data-events": DashboardRoutes.events(key)])
        html.open("header")
        html.open("p", ["class": "crumbs"])
        html.element("a", ["href": DashboardRoutes.home], "All studies")
        html.close("p")
        html.element("p", ["id": "live", "class": "live", "role": "status"], "")
        html.element("h1", "Study \(key)")
        html.close("header")
        html.open("main")
        html.open("p", ["class": "stop trouble"])
        html.element("strong", "The journal cannot be read now: ")
        html.text(ReportText.message(message))
        html.close("p")
        html.element(
            "p", "Nothing was changed. This page shows the study again as soon as its journal can be read.")
        html.close("main")
        foot(&html)
        return html.output
    }
}

/// A number as the pages print it, as the report does.
func reportNumberText(_ value: Double) -> String { HTMLReport.number(value) }
