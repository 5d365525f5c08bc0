import Foundation

/// Times given on the command line: an RFC 3339 timestamp, a date (`2026-12-01`, midnight UTC),
/// or a duration back from now (`24h`, `7d`, `30m`).
enum TimeArgument {
    static func parse(_ text: String, flag: String, now: Date = Date()) throws -> Date {
        if let seconds = relativeSeconds(text) { return now.addingTimeInterval(-seconds) }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) ?? ISO8601DateFormatter().date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: text) { return date }
        throw UsageError(
            "--\(flag) \(text): not a time; use 2026-12-01, 2026-12-01T02:00:00Z, or a duration back from now like 24h or 7d"
        )
    }

    /// `30s`, `15m`, `24h`, `7d`, `2w` as seconds.
    private static func relativeSeconds(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let value = Double(text.dropLast()), value >= 0 else { return nil }
        switch unit {
        case "s": return value
        case "m": return value * 60
        case "h": return value * 3_600
        case "d": return value * 86_400
        case "w": return value * 604_800
        default: return nil
        }
    }

    /// A time as written in every table and export: RFC 3339 in UTC, milliseconds.
    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
