import Foundation
import TunerCore
import TunerJournal

extension HTMLReport {
    /// Opens a chart: a figure, its caption, and an SVG whose title and description state the finding.
    func openChart(_ html: inout HTMLBuilder, id: String, width: Int, height: Int, title: String, finding: String) {
        html.open("figure", ["aria-labelledby": "\(id)-caption"])
        html.open(
            "svg",
            [
                "xmlns": "http://www.w3.org/2000/svg", "role": "img", "viewBox": "0 0 \(width) \(height)",
                "width": "\(width)", "height": "\(height)", "aria-labelledby": "\(id)-title \(id)-desc",
            ])
        html.element("title", ["id": "\(id)-title"], title)
        html.element("desc", ["id": "\(id)-desc"], finding)
    }

    func closeChart(_ html: inout HTMLBuilder, id: String, caption: String) {
        html.close("svg")
        html.element("figcaption", ["id": "\(id)-caption"], caption)
        html.close("figure")
    }

    /// Fill patterns for attempt outcomes, so that color is never the only cue.
    static let patterns = """
        <defs><pattern id="p-failed" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">\
        <rect width="6" height="6" fill="var(--bg)"/><line x1="0" y1="0" x2="0" y2="6" stroke="var(--fail)" \
        stroke-width="3"/></pattern>\
        <pattern id="p-interrupted" width="6" height="6" patternUnits="userSpaceOnUse">\
        <rect width="6" height="6" fill="var(--bg)"/><circle cx="3" cy="3" r="1.5" fill="var(--int)"/></pattern>\
        <pattern id="p-fatal" width="6" height="6" patternUnits="userSpaceOnUse">\
        <rect width="6" height="6" fill="var(--stop)"/><path d="M0 0L6 6M6 0L0 6" stroke="var(--bg)" \
        stroke-width="1"/></pattern></defs>
        """

    /// Evenly spaced sample of at most `limit` elements, always keeping `keep`.
    func sample<T>(_ items: [T], limit: Int, keep: (T) -> Bool = { _ in false }) -> [T] {
        guard items.count > limit else { return items }
        let step = Double(items.count) / Double(limit)
        var picked = Set((0..<limit).map { Int(Double($0) * step) })
        for (i, item) in items.enumerated() where keep(item) { picked.insert(i) }
        return picked.sorted().map { items[$0] }
    }

    /// The marker of a trial's status: a shape and a class.
    func marker(_ html: inout HTMLBuilder, _ trial: TrialRecord, x: Double, y: Double) {
        let attempts = snapshot.attempts[trial.number] ?? []
        let flaky = attempts.contains { $0.counted && $0.outcome != .completed }
        let (cx, cy) = (svgNumber(x), svgNumber(y))
        if trial.status == .completed && !flaky {
            html.empty("circle", ["cx": cx, "cy": cy, "r": "4", "class": "s-completed"])
        } else if trial.status == .completed {
            html.empty(
                "rect",
                [
                    "x": svgNumber(x - 4), "y": svgNumber(y - 4), "width": "8", "height": "8", "class": "s-flaky",
                    "transform": "rotate(45 \(cx) \(cy))",
                ])
        } else if [.running, .invalid].contains(trial.status) {
            // Running (or about to retry): a hollow ring, not a failure's cross.
            html.open("circle", ["cx": cx, "cy": cy, "r": "4", "class": "s-running"])
            html.element("title", "Trial \(trial.trialID): running")
            html.close("circle")
        } else {
            html.empty(
                "path",
                [
                    "d":
                        "M\(svgNumber(x - 4)) \(svgNumber(y - 4))L\(svgNumber(x + 4)) " +
                            "\(svgNumber(y + 4))M\(svgNumber(x + 4)) \(svgNumber(y - 4))L\(svgNumber(x - 4)) " +
                            "\(svgNumber(y + 4))",
                    "class": "s-failed",
                ])
        }
    }

    func axes(
        _ html: inout HTMLBuilder, x: Scale, y: Scale, left: Double, right: Double, top: Double, bottom: Double,
        xLabel: String, yLabel: String, xTicks: [Double]? = nil
    ) {
        for tick in y.ticks() {
            guard let ty = y(tick) else { continue }
            html.empty(
                "line",
                [
                    "class": "grid", "x1": svgNumber(left), "x2": svgNumber(right), "y1": svgNumber(ty),
                    "y2": svgNumber(ty),
                ])
            html.element(
                "text", ["x": svgNumber(left - 6), "y": svgNumber(ty + 4), "text-anchor": "end"], reportNumber(tick))
        }
        for tick in xTicks ?? x.ticks() {
            guard let tx = x(tick) else { continue }
            html.element(
                "text", ["x": svgNumber(tx), "y": svgNumber(bottom + 16), "text-anchor": "middle"], reportNumber(tick))
        }
        html.empty(
            "line",
            [
                "class": "axis", "x1": svgNumber(left), "x2": svgNumber(right), "y1": svgNumber(bottom),
                "y2": svgNumber(bottom),
            ])
        html.empty(
            "line",
            [
                "class": "axis", "x1": svgNumber(left), "x2": svgNumber(left), "y1": svgNumber(top),
                "y2": svgNumber(bottom),
            ])
        html.element(
            "text", ["x": svgNumber((left + right) / 2), "y": svgNumber(bottom + 32), "text-anchor": "middle"], xLabel)
        html.element(
            "text",
            [
                "x": "14", "y": svgNumber((top + bottom) / 2), "text-anchor": "middle",
                "transform": "rotate(-90 14 \(svgNumber((top + bottom) / 2)))",
            ], yLabel)
    }

    func legend(_ html: inout HTMLBuilder, x: Double, y: Double) {
        var offset = x
        var kinds = [("completed", 0), ("completed after retry", 1), ("failed or stopped", 2)]
        if snapshot.trials.contains(where: { [.running, .invalid].contains($0.status) }) {
            kinds.append(("running", 3))
        }
        for (label, kind) in kinds {
            let fake = TrialRecord(
                number: -1, status: kind == 2 ? .failed : kind == 3 ? .running : .completed, hyperparameters: "{}",
                seed: 0, score: nil,
                bestEpoch: nil, metrics: nil, errorType: nil, message: nil, createdSession: 0, createdAt: 0,
                endedAt: nil, endSeq: nil)
            if kind == 1 {
                html.empty(
                    "rect",
                    [
                        "x": svgNumber(offset - 4), "y": svgNumber(y - 4), "width": "8", "height": "8",
                        "class": "s-flaky",
                        "transform": "rotate(45 \(svgNumber(offset)) \(svgNumber(y)))",
                    ])
            } else {
                marker(&html, fake, x: offset, y: y)
            }
            html.element("text", ["x": svgNumber(offset + 8), "y": svgNumber(y + 4)], label)
            offset += Double(label.count) * 6.5 + 30
        }
        html.empty(
            "line",
            [
                "class": "bestline", "x1": svgNumber(offset - 4), "x2": svgNumber(offset + 14), "y1": svgNumber(y),
                "y2": svgNumber(y),
            ])
        html.element("text", ["x": svgNumber(offset + 18), "y": svgNumber(y + 4)], "best so far")
    }

    // MARK: - Optimization history

    /// One study's optimization history as a fragment of another page: its ids begin with
    /// `idPrefix`, so that several studies' histories can share a page, and its heading is
    /// `title`.
    public func historyChart(idPrefix: String, title: String) -> String {
        var html = HTMLBuilder()
        historySection(&html, idPrefix: idPrefix, title: title)
        return html.output
    }

    func historySection(_ html: inout HTMLBuilder, idPrefix: String = "", title: String = "Optimization history") {
        html.open("section", ["id": "\(idPrefix)history", "aria-labelledby": "\(idPrefix)history-title"])
        html.element("h2", ["id": "\(idPrefix)history-title"], title)
        let objective = snapshot.objective
        let trials = snapshot.trials
        let scores = trials.compactMap { $0.status == .completed ? $0.score : nil }
        let excluded = trials.count { $0.status == .completed && !($0.score?.isFinite ?? false) }
        let best = snapshot.bestTrial
        let shown = sample(trials, limit: chartLimit) { $0.number == best?.number }
        let (width, height) = (900.0, 340.0)
        let (left, right, top, bottom) = (70.0, width - 20, 20.0, height - 70)
        let x = Scale(trials.map { Double($0.number) }, from: left, to: right)
        let y = Scale(scores, from: bottom, to: top, allowLog: true)
        let finding =
            best.map {
                "Best \(objective.name) \(reportNumber($0.score ?? .nan)) at trial \($0.trialID); " +
                    "\(trials.count { $0.status == .failed }) of \(trials.count) trials failed."
            }
            ?? "No trial completed."
        openChart(
            &html, id: "\(idPrefix)history-chart", width: Int(width), height: Int(height),
            title: "\(objective.name) per trial", finding: finding)
        axes(
            &html, x: x, y: y, left: left, right: right, top: top, bottom: bottom, xLabel: "trial",
            yLabel: objective.name + (y.logarithmic ? " (log scale)" : ""),
            xTicks: x.ticks().filter { $0 == $0.rounded() })
        // Best-so-far step line over completed trials in trial order.
        var path = ""
        var current: Double?
        for trial in trials where trial.status == .completed {
            guard let score = trial.score, score.isFinite else { continue }
            if current.map({ objective.isBetter(score, than: $0) }) ?? true { current = score }
            guard let px = x(Double(trial.number)), let py = y(current ?? score) else { continue }
            path += path.isEmpty ? "M\(svgNumber(px)) \(svgNumber(py))" : "H\(svgNumber(px))V\(svgNumber(py))"
        }
        if let last = trials.last, let px = x(Double(last.number)), !path.isEmpty { path += "H\(svgNumber(px))" }
        if !path.isEmpty { html.empty("path", ["d": path, "class": "bestline"]) }
        for trial in shown {
            guard let px = x(Double(trial.number)) else { continue }
            if trial.status == .completed, let score = trial.score, let py = y(score) {
                marker(&html, trial, x: px, y: py)
            } else if trial.status != .completed {
                marker(&html, trial, x: px, y: bottom - 8)
            }
        }
        legend(&html, x: left + 10, y: height - 12)
        var caption =
            "Objective of each completed trial (circles), trials completed after a retry (diamonds), failed or " +
                "stopped trials (crosses, along the bottom) and running ones (rings, along the bottom), with the " +
                "best value so far."
        if excluded > 0 { caption += " \(excluded) completed trial(s) with a NaN or infinite objective are not drawn." }
        if shown.count < trials.count {
            caption += " Showing \(shown.count) of \(trials.count) trials, evenly sampled."
        }
        closeChart(&html, id: "\(idPrefix)history-chart", caption: caption)
        html.close("section")
    }

    // MARK: - Attempts timeline

    /// An attempt's bar fill in the timelines: solid, hatched, cross-hatched or dotted.
    static func fill(_ outcome: AttemptOutcome?) -> String {
        switch outcome {
        case .completed: "var(--ok)"
        case .failed, .error, .invalid: "url(#p-failed)"
        case .fatal: "url(#p-fatal)"
        case .interrupted, nil: "url(#p-interrupted)"
        }
    }

    func timelineSection(_ html: inout HTMLBuilder) {
        html.open("section", ["id": "timeline", "aria-labelledby": "timeline-title"])
        html.element("h2", ["id": "timeline-title"], "Attempts timeline")
        let trials = sample(snapshot.trials, limit: timelineLimit) { $0.status != .completed }
        let attempts = trials.flatMap { snapshot.attempts[$0.number] ?? [] }
        guard let start = attempts.map(\.startedAt).min() else {
            html.element("p", "No attempt ran yet.")
            html.close("section")
            return
        }
        let end = attempts.map { $0.endedAt ?? $0.startedAt }.max() ?? start
        let row = 14.0
        let (left, right, top) = (70.0, 880.0, 10.0)
        let height = top + Double(trials.count) * row + 50
        let x = Scale([0, max(end - start, 1e-3)], from: left, to: right, includeZero: true)
        let outcomes = Dictionary(grouping: attempts, by: { $0.outcomeText }).mapValues(\.count)
        let finding = outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        openChart(
            &html, id: "timeline-chart", width: 900, height: Int(height), title: "Attempts over time",
            finding: "Attempts by outcome: \(finding); \(snapshot.sessions.count) session(s).")
        let bottom = top + Double(trials.count) * row
        for tick in x.ticks() {
            guard let tx = x(tick) else { continue }
            html.element(
                "text", ["x": svgNumber(tx), "y": svgNumber(bottom + 16), "text-anchor": "middle"],
                "\(reportNumber(tick))s")
        }
        html.empty(
            "line",
            [
                "class": "axis", "x1": svgNumber(left), "x2": svgNumber(right), "y1": svgNumber(bottom),
                "y2": svgNumber(bottom),
            ])
        for (index, trial) in trials.enumerated() {
            let ty = top + Double(index) * row
            html.element(
                "text", ["x": svgNumber(left - 6), "y": svgNumber(ty + row - 4), "text-anchor": "end"], trial.trialID)
            for attempt in snapshot.attempts[trial.number] ?? [] {
                guard let x0 = x(attempt.startedAt - start), let x1 = x((attempt.endedAt ?? end) - start) else {
                    continue
                }
                let fill = Self.fill(attempt.outcome)
                html.open(
                    "rect",
                    [
                        "x": svgNumber(x0), "y": svgNumber(ty + 2), "width": svgNumber(max(1.5, x1 - x0)),
                        "height": svgNumber(row - 4), "fill": fill, "stroke": "var(--muted)", "stroke-width": "0.5",
                    ])
                html.element(
                    "title",
                    "Trial \(trial.trialID), attempt \(attempt.number): \(attempt.outcomeText), " +
                        "\(formatDuration(attempt.duration ?? 0))"
                )
                html.close("rect")
            }
        }
        for session in snapshot.sessions.dropFirst() {
            guard let sx = x(session.startedAt - start) else { continue }
            html.empty(
                "line",
                [
                    "class": "resume", "x1": svgNumber(sx), "x2": svgNumber(sx), "y1": svgNumber(top),
                    "y2": svgNumber(bottom),
                ])
        }
        html.element(
            "text", ["x": svgNumber(left), "y": svgNumber(bottom + 34)],
            "seconds since the first attempt; dashed lines: resumes")
        closeChart(
            &html, id: "timeline-chart",
            caption:
                "One row per trial, one bar per attempt: solid completed, hatched failed, cross-hatched fatal, " +
                    "dotted interrupted."
                + (trials.count < snapshot.trials.count
                    ? " Showing \(trials.count) of \(snapshot.trials.count) trials." : ""))
        workerTimeline(&html)
        html.close("section")
    }

    /// For a study run by many workers: one row per worker, one bar per attempt, over the last
    /// attempts (at most `timelineLimit` × 10): which worker ran what, and when.
    func workerTimeline(_ html: inout HTMLBuilder) {
        let sessions = Dictionary(snapshot.sessions.compactMap { s in s.id.map { ($0, s) } }) { a, _ in a }
        guard snapshot.sessions.contains(where: { $0.worker != nil }) else { return }
        var all = snapshot.attempts.values.joined().map { $0 }
        all.sort { $0.startedAt < $1.startedAt }
        let attempts = all.suffix(timelineLimit * 10)
        func lane(_ attempt: AttemptRecord) -> String {
            guard let session = sessions[attempt.session] else { return "?" }
            return session.worker ?? "pid \(session.pid)"
        }
        let lanes = Array(Set(attempts.map(lane))).sorted()
        guard let start = attempts.first?.startedAt else { return }
        let end = attempts.map { $0.endedAt ?? $0.startedAt }.max() ?? start
        let row = 16.0
        let (left, right, top) = (110.0, 880.0, 10.0)
        let bottom = top + Double(lanes.count) * row
        let x = Scale([0, max(end - start, 1e-3)], from: left, to: right, includeZero: true)
        openChart(
            &html, id: "workers-chart", width: 900, height: Int(bottom + 50), title: "Attempts by worker",
            finding: "\(attempts.count) attempts over \(lanes.count) workers.")
        for tick in x.ticks() {
            guard let tx = x(tick) else { continue }
            html.element(
                "text", ["x": svgNumber(tx), "y": svgNumber(bottom + 16), "text-anchor": "middle"],
                "\(reportNumber(tick))s")
        }
        let rows = Dictionary(uniqueKeysWithValues: lanes.enumerated().map { ($0.element, $0.offset) })
        for (index, name) in lanes.enumerated() {
            html.element(
                "text",
                ["x": svgNumber(left - 6), "y": svgNumber(top + Double(index) * row + row - 4), "text-anchor": "end"],
                String(name.prefix(16)))
        }
        for attempt in attempts {
            let ty = top + Double(rows[lane(attempt)] ?? 0) * row
            guard let x0 = x(attempt.startedAt - start), let x1 = x((attempt.endedAt ?? end) - start) else { continue }
            let fill = Self.fill(attempt.outcome)
            html.open(
                "rect",
                [
                    "x": svgNumber(x0), "y": svgNumber(ty + 2), "width": svgNumber(max(1, x1 - x0)),
                    "height": svgNumber(row - 4), "fill": fill,
                ])
            html.element(
                "title",
                "\(lane(attempt)): trial \(trialID(attempt.trial)), attempt \(attempt.number), \(attempt.outcomeText)")
            html.close("rect")
        }
        html.empty(
            "line",
            [
                "class": "axis", "x1": svgNumber(left), "x2": svgNumber(right), "y1": svgNumber(bottom),
                "y2": svgNumber(bottom),
            ])
        closeChart(
            &html, id: "workers-chart",
            caption:
                "One row per worker, one bar per attempt, as in the chart above; seconds since the first attempt "
                + "shown."
                + (attempts.count < all.count ? " The last \(attempts.count) of \(all.count) attempts." : ""))
    }

    // MARK: - Parallel coordinates

    /// A value's position in [0, 1] along its hyperparameter's axis.
    func unit(_ value: HyperParameterValue, _ definition: HyperParameterDefinition) -> Double? {
        switch definition.kind {
        case let .int(min, max, _, sampling):
            guard let v = value.doubleValue else { return nil }
            return max > min
                ? HyperParameterDefinition.valueToProbability(v, min: Double(min), max: Double(max), sampling: sampling)
                : 0.5
        case let .float(min, max, _, sampling):
            guard let v = value.doubleValue else { return nil }
            return HyperParameterDefinition.valueToProbability(v, min: min, max: max, sampling: sampling)
        default:
            let values = definition.orderedValues
            guard let index = values.firstIndex(of: value) else { return nil }
            return values.count > 1 ? Double(index) / Double(values.count - 1) : 0.5
        }
    }

    func parallelSection(_ html: inout HTMLBuilder) {
        html.open("section", ["id": "parallel", "aria-labelledby": "parallel-title"])
        html.element("h2", ["id": "parallel-title"], "Parallel coordinates")
        let definitions = snapshot.space.definitions
        // Positions in the trials, not copies of them.
        let completed = snapshot.trials.indices.filter {
            snapshot.trials[$0].status == .completed && (snapshot.trials[$0].score?.isFinite ?? false)
        }
        guard !definitions.isEmpty, !completed.isEmpty else {
            html.element("p", "Nothing to draw: no hyperparameter or no completed trial.")
            html.close("section")
            return
        }
        let axesCount = definitions.count + 1
        let (left, right, top, bottom) = (60.0, 860.0, 30.0, 280.0)
        let spacing = (right - left) / Double(max(1, axesCount - 1))
        let y = Scale(completed.compactMap { snapshot.trials[$0].score }, from: bottom, to: top, allowLog: true)
        let shown = sample(completed, limit: min(chartLimit, 600)) {
            snapshot.trials[$0].number == snapshot.bestTrial?.number
        }.map { snapshot.trials[$0] }
        let best = snapshot.bestTrial
        openChart(
            &html, id: "parallel-chart", width: 900, height: 330, title: "Hyperparameters of completed trials",
            finding:
                "Lines join each completed trial's hyperparameter values to its \(snapshot.objective.name); the " +
                    "best, trial \(best?.trialID ?? "–"), is drawn thick."
        )
        for (index, definition) in definitions.enumerated() {
            let ax = left + Double(index) * spacing
            html.empty(
                "line",
                [
                    "class": "axis", "x1": svgNumber(ax), "x2": svgNumber(ax), "y1": svgNumber(top),
                    "y2": svgNumber(bottom),
                ])
            html.element(
                "text", ["x": svgNumber(ax), "y": svgNumber(top - 10), "text-anchor": "middle"], definition.name)
            let values = definition.orderedValues
            if values.count <= 6 {
                for value in values {
                    guard let u = unit(value, definition) else { continue }
                    html.element(
                        "text", ["x": svgNumber(ax + 4), "y": svgNumber(bottom - u * (bottom - top) + 4)],
                        value.description)
                }
            }
        }
        let ox = left + Double(axesCount - 1) * spacing
        html.empty(
            "line",
            ["class": "axis", "x1": svgNumber(ox), "x2": svgNumber(ox), "y1": svgNumber(top), "y2": svgNumber(bottom)])
        html.element(
            "text", ["x": svgNumber(ox), "y": svgNumber(top - 10), "text-anchor": "middle"], snapshot.objective.name)
        for tick in y.ticks() {
            guard let ty = y(tick) else { continue }
            html.element("text", ["x": svgNumber(ox + 4), "y": svgNumber(ty + 4)], reportNumber(tick))
        }
        for trial in shown {
            let values = (try? trial.values()) ?? [:]
            var points: [String] = []
            for (index, definition) in definitions.enumerated() {
                guard let value = values[definition.name], let u = unit(value, definition) else { continue }
                points.append("\(svgNumber(left + Double(index) * spacing)),\(svgNumber(bottom - u * (bottom - top)))")
            }
            if let score = trial.score, let sy = y(score) { points.append("\(svgNumber(ox)),\(svgNumber(sy))") }
            let isBest = trial.number == best?.number
            html.empty(
                "polyline", ["points": points.joined(separator: " "), "class": isBest ? "bestline" : "pc s-completed"])
        }
        closeChart(
            &html, id: "parallel-chart",
            caption:
                "Each line is a completed trial; axes are scaled as each hyperparameter is sampled (log axes for log " +
                    "sampling)."
                + (shown.count < completed.count
                    ? " Showing \(shown.count) of \(completed.count) completed trials." : ""))
        html.close("section")
    }

    // MARK: - Importance

    func importanceSection(_ html: inout HTMLBuilder) {
        html.open("section", ["id": "importance", "aria-labelledby": "importance-title"])
        html.element("h2", ["id": "importance-title"], "Parameter importance (correlation)")
        var rows: [(name: String, value: Double, method: String)] = []
        for definition in snapshot.space.definitions {
            var xs: [Double] = [], cats: [String] = [], ys: [Double] = []
            for trial in snapshot.trials where trial.status == .completed && (trial.score?.isFinite ?? false) {
                guard let value = ((try? trial.values()) ?? [:])[definition.name], let score = trial.score else {
                    continue
                }
                ys.append(score)
                if case .choice = definition.kind, value.doubleValue == nil || !(definition.kind.isOrdered) {
                    cats.append(value.description)
                } else if case .boolean = definition.kind {
                    cats.append(value.description)
                } else if let d = value.doubleValue {
                    xs.append(d)
                }
            }
            if !cats.isEmpty, let eta = Statistics.etaSquared(cats, ys) {
                rows.append((definition.name, eta, "η²"))
            } else if xs.count == ys.count, let rho = Statistics.spearman(xs, ys) {
                rows.append((definition.name, abs(rho), "|Spearman ρ|"))
            }
        }
        guard !rows.isEmpty else {
            html.element("p", "Not enough completed trials with varying hyperparameters to measure any association.")
            html.close("section")
            return
        }
        rows.sort { $0.value > $1.value || ($0.value == $1.value && $0.name < $1.name) }
        let height = 30 + rows.count * 26
        openChart(
            &html, id: "importance-chart", width: 900, height: height,
            title: "Association of each hyperparameter with the objective",
            finding: "Strongest: \(rows[0].name) (\(rows[0].method) \(String(format: "%.2f", rows[0].value))).")
        for (index, row) in rows.enumerated() {
            let y = 10.0 + Double(index) * 26
            html.element("text", ["x": "190", "y": svgNumber(y + 14), "text-anchor": "end"], row.name)
            html.empty(
                "rect",
                [
                    "x": "200", "y": svgNumber(y), "width": svgNumber(max(1, row.value * 600)), "height": "18",
                    "class": "bar",
                ])
            html.element(
                "text", ["x": svgNumber(208 + row.value * 600), "y": svgNumber(y + 14)],
                "\(row.method) \(String(format: "%.2f", row.value))")
        }
        closeChart(
            &html, id: "importance-chart",
            caption:
                "Correlation, not causation: |Spearman ρ| between a numeric hyperparameter and the objective over " +
                    "completed trials; η² (the share of the objective's variance between groups) for categories."
        )
        html.close("section")
    }

    // MARK: - Learning curves

    func curvesSection(_ html: inout HTMLBuilder) {
        html.open("section", ["id": "curves", "aria-labelledby": "curves-title"])
        html.element("h2", ["id": "curves-title"], "Learning curves")
        let metric = snapshot.curvesMetric
        if case .served(let served) = page, served.metrics.count > 1 {
            // A plain form: it works without the page's script, and the choice is in the address.
            html.open("form", ["class": "metric", "method": "get", "action": served.address + "#curves"])
            html.element("label", ["for": "curves-metric"], "Metric")
            html.open("select", ["id": "curves-metric", "name": "metric"])
            for name in served.metrics {
                if name == metric {
                    html.element("option", ["value": name, "selected": "selected"], name)
                } else {
                    html.element("option", ["value": name], name)
                }
            }
            html.close("select")
            html.element("button", ["type": "submit"], "Draw")
            html.close("form")
        }
        // Positions in the trials, not copies of them (50,000 copies held 17 MB).
        var lines: [(index: Int, values: [Double])] = []
        for (index, trial) in snapshot.trials.enumerated() where trial.status == .completed {
            guard let attempt = snapshot.attempts[trial.number]?.last(where: { $0.outcome == .completed }),
                let id = attempt.id, let curve = snapshot.curves[id], curve.count > 1
            else { continue }
            lines.append((index, curve))
        }
        guard !lines.isEmpty else {
            html.element("p", "No trial reported \(metric) over more than one epoch.")
            html.close("section")
            return
        }
        let best = snapshot.bestTrial
        let shown = sample(lines, limit: 60) { snapshot.trials[$0.index].number == best?.number }
            .map { (trial: snapshot.trials[$0.index], values: $0.values) }
        let epochs = lines.map(\.values.count).max() ?? 1
        let (left, right, top, bottom) = (70.0, 880.0, 20.0, 270.0)
        let x = Scale([0, Double(epochs - 1)], from: left, to: right)
        let y = Scale(shown.flatMap(\.values), from: bottom, to: top, allowLog: true)
        openChart(
            &html, id: "curves-chart", width: 900, height: 320, title: "\(metric) per epoch",
            finding:
                "Per-epoch \(metric) of \(shown.count) completed trials; the best trial, " +
                    "\(best?.trialID ?? "–"), is drawn thick."
        )
        axes(
            &html, x: x, y: y, left: left, right: right, top: top, bottom: bottom, xLabel: "epoch",
            yLabel: metric,
            xTicks: x.ticks().filter { $0 == $0.rounded() })
        for line in shown {
            var path = ""
            // At most about a thousand points a line: a 100,000-epoch curve stays a small path.
            let every = max(1, line.values.count / 1000)
            for (epoch, value) in line.values.enumerated() where epoch % every == 0 || epoch == line.values.count - 1 {
                guard let px = x(Double(epoch)), let py = y(value) else { continue }
                path += (path.isEmpty ? "M" : "L") + "\(svgNumber(px)) \(svgNumber(py))"
            }
            guard !path.isEmpty else { continue }
            html.open("path", ["d": path, "class": line.trial.number == best?.number ? "bestline" : "pc s-completed"])
            html.element("title", "Trial \(line.trial.trialID)")
            html.close("path")
        }
        closeChart(
            &html, id: "curves-chart",
            caption: (metric == snapshot.objective.name ? "The objective, \(metric)," : metric)
                + " after each epoch of each completed trial's completing attempt."
                + (shown.count < lines.count ? " Showing \(shown.count) of \(lines.count)." : ""))
        html.close("section")
    }
}

extension HyperParameterDefinition.Kind {
    /// Whether a Choice's values have an order.
    var isOrdered: Bool {
        if case let .choice(_, ordered) = self { return ordered }
        return true
    }
}
