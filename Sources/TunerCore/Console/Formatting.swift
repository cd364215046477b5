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
