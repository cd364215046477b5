import Foundation

/// Formats a duration as KerasTuner does: rounded to the nearest second, `00h 00m 08s`, and
/// `1d 02h 00m 00s` from one day up.
public func formatElapsed(_ seconds: Double) -> String {
    // Clamped where a duration is not a number or beyond any search's length.
    let total = seconds.isFinite ? Int(Swift.min(Swift.max(0, seconds), 1e12).rounded()) : 0
    let clock = String(format: "%02dh %02dm %02ds", (total / 3600) % 24, (total / 60) % 60, total % 60)
    return total >= 86_400 ? "\(total / 86_400)d " + clock : clock
}

/// Formats a metric value as the console does (`%.4g`).
public func formatMetric(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    return String(format: "%.4g", value)
}

/// Formats an instant, in seconds since 1970, as an ISO 8601 UTC timestamp to the second:
/// `2026-12-07T20:57:58Z`.
///
/// Written directly, on the proleptic Gregorian calendar: Foundation's `ISO8601DateFormatter`
/// loads ICU's calendar data, about 6 MB of resident memory a process. A fraction of a second
/// is dropped; instants outside years 1 to 9999 are clamped to them, and NaN is 1970's start.
public func formatTimestamp(_ seconds: Double) -> String {
    let first = -62_135_596_800.0, last = 253_402_300_799.0
    let whole = Int(seconds.isNaN ? 0 : Swift.min(Swift.max(seconds.rounded(.down), first), last))
    let (days, second) = whole.quotientAndRemainder(dividingBy: 86_400)
    let (day, time) = second < 0 ? (days - 1, second + 86_400) : (days, second)
    // Days counted from 0000-03-01, so that a leap day ends its year; a cycle is 400 years.
    let shifted = day + 719_468
    let cycle = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfCycle = shifted - cycle * 146_097
    let yearOfCycle = (dayOfCycle - dayOfCycle / 1460 + dayOfCycle / 36_524 - dayOfCycle / 146_096) / 365
    let dayOfYear = dayOfCycle - (365 * yearOfCycle + yearOfCycle / 4 - yearOfCycle / 100)
    let monthFromMarch = (5 * dayOfYear + 2) / 153
    let dayOfMonth = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
    let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
    let year = yearOfCycle + cycle * 400 + (month <= 2 ? 1 : 0)
    func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: Swift.max(0, width - text.count)) + text
    }
    return digits(year, 4) + "-" + digits(month, 2) + "-" + digits(dayOfMonth, 2) + "T" + digits(time / 3600, 2) + ":"
        + digits(time / 60 % 60, 2) + ":" + digits(time % 60, 2) + "Z"
}
