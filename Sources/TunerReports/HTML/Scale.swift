import Foundation

/// Maps data values to chart coordinates, linear or logarithmic, with round tick values.
struct Scale {
    let low: Double, high: Double
    let from: Double, to: Double
    let logarithmic: Bool

    /// A scale over `values` (finite ones), logarithmic when `allowLog` and they are all
    /// positive and span more than two decades.
    init(_ values: [Double], from: Double, to: Double, allowLog: Bool = false, includeZero: Bool = false) {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        let log = allowLog && low > 0 && high / low > 100
        if includeZero && !log { low = min(low, 0); high = max(high, 0) }
        if low == high {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        if log {
            self.low = Foundation.log10(low)
            self.high = Foundation.log10(high)
        } else {
            let pad = (high - low) * 0.05
            self.low = includeZero && low == 0 ? 0 : low - pad
            self.high = high + pad
        }
        self.from = from
        self.to = to
        logarithmic = log
    }

    /// The coordinate of a value, rounded to 0.1 (deterministic output); `nil` for NaN/inf.
    func callAsFunction(_ value: Double) -> Double? {
        guard value.isFinite, !logarithmic || value > 0 else { return nil }
        let v = logarithmic ? Foundation.log10(value) : value
        let t = (v - low) / (high - low)
        return ((from + t * (to - from)) * 10).rounded() / 10
    }

    /// Round tick values within the range.
    func ticks(_ count: Int = 5) -> [Double] {
        if logarithmic {
            return (Int(low.rounded(.up))...max(Int(low.rounded(.up)), Int(high.rounded(.down)))).map {
                Foundation.pow(10, Double($0))
            }
        }
        let raw = (high - low) / Double(max(1, count))
        let magnitude = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        let step = [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var tick = (low / step).rounded(.up) * step
        var result: [Double] = []
        while tick <= high + step * 1e-9, result.count < 20 {
            result.append(abs(tick) < step * 1e-9 ? 0 : tick)
            tick += step
        }
        return result
    }
}

/// A coordinate as SVG writes it: at most one decimal.
func svgNumber(_ value: Double) -> String {
    let tenths = (value * 10).rounded()
    // Charts' coordinates are finite and small; anything else is written as 0.
    guard tenths.isFinite, abs(tenths) < 1e15 else { return "0" }
    let whole = Int(tenths)
    if whole % 10 == 0 { return String(whole / 10) }
    return (whole < 0 ? "-" : "") + String(abs(whole) / 10) + "." + String(abs(whole) % 10)
}

/// A value as the report prints it: `%.4g`.
func reportNumber(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    return String(format: "%.4g", value)
}

/// Statistics for parameter importance.
enum Statistics {
    /// Ranks with ties averaged.
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = rank }
            i = j + 1
        }
        return ranks
    }

    /// Pearson's correlation; `nil` when either side is constant.
    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 3 else { return nil }
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Spearman's rank correlation.
    static func spearman(_ x: [Double], _ y: [Double]) -> Double? { pearson(ranks(x), ranks(y)) }

    /// η²: the share of y's variance explained by the categories.
    static func etaSquared(_ categories: [String], _ y: [Double]) -> Double? {
        guard categories.count == y.count, y.count >= 3, Set(categories).count >= 2 else { return nil }
        let mean = y.reduce(0, +) / Double(y.count)
        let total = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        guard total > 0 else { return nil }
        var between = 0.0
        for (_, group) in Dictionary(grouping: zip(categories, y), by: \.0) {
            let values = group.map(\.1)
            let m = values.reduce(0, +) / Double(values.count)
            between += Double(values.count) * (m - mean) * (m - mean)
        }
        return between / total
    }
}
