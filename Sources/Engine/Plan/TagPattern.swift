import Foundation

/// A regular expression from a plan, compiled once and checked for patterns that could run for hours.
///
/// Tags are matched by search, not whole-string match: `-rc` matches `v1.0-rc1`; anchor with `^` and `$`.
/// Two patterns are equal when their source text is.
public struct TagPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written in the plan.
    public let source: String
    private let expression: NSRegularExpression

    /// The longest pattern a plan may hold; longer ones are mistakes or attacks.
    public static let maximumLength = 512

    /// Compiles `source`, refusing overlong patterns and quantified groups that contain quantifiers or `|`.
    public init(_ source: String) throws(TagPatternError) {
        guard !source.isEmpty else { throw TagPatternError(pattern: source, reason: "is empty") }
        guard source.count <= Self.maximumLength else {
            throw TagPatternError(
                pattern: String(source.prefix(40)) + "…",
                reason: "is \(source.count) characters long; the limit is \(Self.maximumLength)")
        }
        if let nested = NestedQuantifierScanner.findNestedQuantifier(in: source) {
            throw TagPatternError(
                pattern: source,
                reason: "repeats a group that itself repeats or has alternatives (\(nested)), which can take "
                    + "exponential time; rewrite it without a quantifier on such a group")
        }
        do {
            expression = try NSRegularExpression(pattern: source)
        } catch {
            throw TagPatternError(pattern: source, reason: "is not a valid regular expression")
        }
        self.source = source
    }

    /// Whether the pattern occurs anywhere in `tag`.
    public func matches(_ tag: String) -> Bool {
        let range = NSRange(tag.startIndex..<tag.endIndex, in: tag)
        return expression.firstMatch(in: tag, range: range) != nil
    }

    public var description: String { source }

    public static func == (lhs: TagPattern, rhs: TagPattern) -> Bool { lhs.source == rhs.source }

    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

/// Why a regular expression in a plan was refused.
public struct TagPatternError: Error, Equatable, CustomStringConvertible {
    public let pattern: String
    public let reason: String

    public var description: String { "\"\(pattern)\" \(reason)" }
}

/// Finds a repeating quantifier applied to a group that already contains one, like `(a+)+` or `(x*y){2,}`,
/// or that contains alternatives, like `(a|aa)*`.
///
/// Such patterns backtrack exponentially on near-misses in ICU's engine. The scan is syntactic and
/// errs on the side of refusing: a safe pattern like `(\d+\.)+` is refused too, which a plan can
/// always rewrite.
enum NestedQuantifierScanner {
    private struct Group {
        let start: String.Index
        var repeats = false
        /// Holds a `|`: repeating it can match one text in exponentially many ways, like `(a|aa)*`.
        var alternates = false
    }

    /// The offending group's text, or `nil` when the pattern has no nested repetition.
    static func findNestedQuantifier(in pattern: String) -> String? {
        var groups: [Group] = [Group(start: pattern.startIndex)]
        var index = pattern.startIndex
        // What the next quantifier would apply to: a closed group (with whether it repeats inside) or an atom.
        var lastAtom: (start: String.Index, repeats: Bool)?
        while index < pattern.endIndex {
            let character = pattern[index]
            switch character {
            case "\\":
                let atomStart = index
                index = pattern.index(after: index)
                if index < pattern.endIndex, pattern[index] == "Q" {
                    index = skipQuoted(in: pattern, from: index)
                } else if index < pattern.endIndex {
                    index = pattern.index(after: index)
                }
                lastAtom = (atomStart, false)
                continue
            case "[":
                let atomStart = index
                index = skipCharacterClass(in: pattern, from: index)
                lastAtom = (atomStart, false)
                continue
            case "(":
                groups.append(Group(start: index))
                lastAtom = nil
            case ")":
                guard groups.count > 1, let closed = groups.popLast() else {
                    lastAtom = nil
                    break
                }
                // A repetition or alternation anywhere inside counts for every enclosing group too.
                if closed.repeats { groups[groups.count - 1].repeats = true }
                if closed.alternates { groups[groups.count - 1].alternates = true }
                lastAtom = (closed.start, closed.repeats || closed.alternates)
            case "|":
                groups[groups.count - 1].alternates = true
                lastAtom = nil
            case "*", "+", "?", "{":
                let (repeats, end) = readQuantifier(in: pattern, at: index)
                if repeats, let atom = lastAtom {
                    if atom.repeats {
                        return String(pattern[atom.start..<end])
                    }
                    groups[groups.count - 1].repeats = true
                }
                index = end
                lastAtom = nil
                continue
            default:
                lastAtom = (index, false)
            }
            index = pattern.index(after: index)
        }
        return nil
    }

    /// Whether the quantifier at `index` allows more than one repetition, and where it ends
    /// (including a lazy `?` or possessive `+` suffix).
    private static func readQuantifier(in pattern: String, at index: String.Index) -> (Bool, String.Index) {
        var end = pattern.index(after: index)
        var repeats: Bool
        switch pattern[index] {
        case "*", "+": repeats = true
        case "?": repeats = false
        default:
            guard let close = pattern[index...].firstIndex(of: "}") else { return (false, end) }
            let bounds = pattern[pattern.index(after: index)..<close].split(
                separator: ",", omittingEmptySubsequences: false)
            let upper = bounds.count == 2 ? bounds[1] : bounds.first ?? ""
            repeats = upper.isEmpty || (Int(upper) ?? 2) > 1
            end = pattern.index(after: close)
        }
        if end < pattern.endIndex, pattern[end] == "?" || pattern[end] == "+" {
            end = pattern.index(after: end)
        }
        return (repeats, end)
    }

    /// The index after the `]` that closes the class opened at `start`, allowing nested classes.
    private static func skipCharacterClass(in pattern: String, from start: String.Index) -> String.Index {
        var depth = 0
        var index = start
        var atClassStart = false
        while index < pattern.endIndex {
            let character = pattern[index]
            if character == "\\" {
                index = pattern.index(after: index)
                if index < pattern.endIndex { index = pattern.index(after: index) }
                atClassStart = false
                continue
            }
            if character == "[" {
                depth += 1
                atClassStart = true
                index = pattern.index(after: index)
                if index < pattern.endIndex, pattern[index] == "^" { index = pattern.index(after: index) }
                continue
            }
            // A `]` right after `[` or `[^` is a literal.
            if character == "]", !atClassStart {
                depth -= 1
                if depth == 0 { return pattern.index(after: index) }
            }
            atClassStart = false
            index = pattern.index(after: index)
        }
        return pattern.endIndex
    }

    /// The index after the `\E` that ends a `\Q` quote starting at `start` (the `Q`).
    private static func skipQuoted(in pattern: String, from start: String.Index) -> String.Index {
        guard let end = pattern[start...].range(of: "\\E") else { return pattern.endIndex }
        return end.upperBound
    }
}
