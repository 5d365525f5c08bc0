import Foundation
import OCI

/// The `--dry-run` table of a cleanup decision: tag, digest, created, rule, action.
public enum CleanupDecisionTable {
    public static let columns = ["TAG", "DIGEST", "CREATED", "RULE", "ACTION"]

    /// One row per entry, in the decision's order (newest first).
    public static func rows(_ decision: CleanupDecision) -> [[String]] {
        decision.entries.map { entry in
            [
                entry.tag, shortDigest(entry.digest), entry.created.map(formatDate) ?? "unknown",
                entry.rule.description, entry.action.description,
            ]
        }
    }

    /// The repository, the aligned table, and a count of each action.
    public static func render(_ decision: CleanupDecision) -> String {
        render(repository: decision.repository, rows: rows(decision))
    }

    /// The table of a decision as a cleanup's `discover` step recorded it.
    public static func render(_ record: CleanupRecord) -> String {
        let rows = record.entries.map { entry in
            [
                entry.tag, (try? Digest(parsing: entry.digest)).map(shortDigest) ?? entry.digest,
                entry.created ?? "unknown", entry.rule, entry.action,
            ]
        }
        return render(repository: record.repository, rows: rows)
    }

    private static func render(repository: String, rows: [[String]]) -> String {
        var widths = columns.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }
        let counts = [CleanupAction.keep, .delete, .notRemovable].map { action in
            "\(rows.filter { $0.last == action.rawValue }.count) \(action)"
        }
        return ([repository + ":", line(columns)] + rows.map(line) + [counts.joined(separator: ", ")])
            .joined(separator: "\n")
    }

    /// `sha256:` and the first 12 hex digits, enough to tell images of one repository apart.
    public static func shortDigest(_ digest: Digest) -> String {
        "\(digest.algorithm):\(digest.encoded.prefix(12))"
    }

    /// UTC, to the second: `2024-05-01T12:00:00Z`.
    public static func formatDate(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
