import Foundation

/// A span of time written in a plan as whole numbers with units, largest first: "1s", "90m", "2h30m", "30d".
///
/// Units are ms, s, m, h, d (24 hours) and w (7 days). Plans never need more than a year, so longer
/// spans are refused as mistakes (a missing unit, an extra zero).
public struct PlanDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The duration in milliseconds, the smallest unit a plan can write.
    public let milliseconds: Int64

    /// The longest duration a plan may hold: 366 days.
    public static let maximum = PlanDuration(milliseconds: 366 * 86_400_000)

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    public init(seconds: Int64) {
        self.milliseconds = seconds * 1000
    }

    /// The duration in seconds.
    public var seconds: Double { Double(milliseconds) / 1000 }

    /// Parses plan syntax, throwing a message that quotes `text` and says what is wrong with it.
    public init(parsing text: String) throws(PlanDurationError) {
        if text.hasPrefix("-") {
            throw PlanDurationError(text: text, reason: "is negative; durations count forward from now")
        }
        var total: Int64 = 0
        var previousUnitSize = Int64.max
        var digits = ""
        var rest = Substring(text)
        guard !rest.isEmpty else { throw PlanDurationError(text: text, reason: "is empty") }
        while let character = rest.first {
            if character.isASCII, character.isNumber {
                digits.append(character)
                rest = rest.dropFirst()
                continue
            }
            guard let unit = Self.unitsLongestNameFirst.first(where: { rest.hasPrefix($0.name) }) else {
                throw PlanDurationError(text: text, reason: Self.syntaxHint)
            }
            guard !digits.isEmpty else {
                throw PlanDurationError(text: text, reason: "has a unit without a number before it")
            }
            guard unit.milliseconds < previousUnitSize else {
                throw PlanDurationError(text: text, reason: "repeats a unit or puts a smaller unit before a larger one")
            }
            guard digits.count <= 12, let count = Int64(digits) else {
                throw PlanDurationError(text: text, reason: "is longer than a year (at most 366d)")
            }
            total += count * unit.milliseconds
            guard total <= Self.maximum.milliseconds else {
                throw PlanDurationError(text: text, reason: "is longer than a year (at most 366d)")
            }
            previousUnitSize = unit.milliseconds
            digits = ""
            rest = rest.dropFirst(unit.name.count)
        }
        guard digits.isEmpty else {
            throw PlanDurationError(text: text, reason: "ends in a number without a unit; " + Self.syntaxHint)
        }
        self.milliseconds = total
    }

    /// The shortest plan syntax for this duration, e.g. "2h30m".
    public var description: String {
        guard milliseconds > 0 else { return "0s" }
        var remaining = milliseconds
        var text = ""
        for unit in Self.units where remaining >= unit.milliseconds {
            text += "\(remaining / unit.milliseconds)\(unit.name)"
            remaining %= unit.milliseconds
        }
        return text
    }

    public static func < (lhs: PlanDuration, rhs: PlanDuration) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }

    /// Largest first.
    private static let units: [(name: String, milliseconds: Int64)] = [
        ("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    // "ms" must be tried before "m" so that "500ms" is not read as 500 minutes followed by "s".
    private static let unitsLongestNameFirst = units.sorted { $0.name.count > $1.name.count }

    private static let syntaxHint =
        "is not a duration; write whole numbers with units ms, s, m, h, d or w, e.g. \"90s\" or \"2h30m\""
}

/// Why a duration in a plan could not be read.
public struct PlanDurationError: Error, Equatable, CustomStringConvertible {
    public let text: String
    public let reason: String

    public var description: String { "\"\(text)\" \(reason)" }
}
