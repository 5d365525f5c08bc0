import Engine
import Foundation
import OCI
import Testing

/// In-memory repositories for cleanup policy tests: tags, dates in days before a fixed `now`, digests by name.
enum CleanupFixture {
    /// A fixed "now" so ages are exact.
    static let now = Date(timeIntervalSince1970: 1_750_000_000)

    /// A digest named after `name`, so tests can say "these two tags share image x".
    static func digest(_ name: String) -> Digest { .sha256(Data("image \(name)".utf8)) }

    static func daysAgo(_ days: Double) -> Date { now.addingTimeInterval(-days * 86_400) }

    /// An image tagged `tag`, created `days` ago (`nil`: unknown), with its own digest unless `image` names one.
    static func image(_ tag: String, _ days: Double?, image: String? = nil) -> CleanupTaggedImage {
        CleanupTaggedImage(tag: tag, digest: digest(image ?? tag), created: days.map(daysAgo))
    }

    /// An index tagged `tag` that refers to the manifests named `children` (at any depth).
    static func index(_ tag: String, _ days: Double?, image: String? = nil, children: [String]) -> CleanupTaggedImage {
        CleanupTaggedImage(
            tag: tag, digest: digest(image ?? tag), mediaType: .ociIndex, created: days.map(daysAgo),
            children: Set(children.map(digest)))
    }

    static func duration(_ text: String) throws -> PlanDuration { try PlanDuration(parsing: text) }

    static func pattern(_ text: String) throws -> TagPattern { try TagPattern(text) }

    /// Decides `tags` of a repository named "registry.test/app".
    static func decide(
        _ tags: [CleanupTaggedImage], keep: CleanupKeepRules = CleanupKeepRules(),
        delete: CleanupDeleteRules = CleanupDeleteRules(), allowEmpty: Bool = false
    ) throws -> CleanupDecision {
        try CleanupPolicy(keep: keep, delete: delete, allowEmpty: allowEmpty)
            .decide(CleanupInventory(repository: "registry.test/app", tags: tags), now: now)
    }
}

/// A policy written compactly for argument tables; `nil` fields are unset.
struct CleanupPolicyCase: Sendable, CustomTestStringConvertible {
    var name: String
    var last: Int? = nil
    var keepMatch: String? = nil
    var keepTags: [String] = []
    var newerThan: String? = nil
    var deleteMatch: String? = nil
    var olderThan: String? = nil
    /// Tags the policy deletes.
    var deleted: Set<String>
    /// Tags that would be deleted but are kept for a kept tag or index.
    var notRemovable: Set<String> = []

    var testDescription: String { name }

    func decide(_ tags: [CleanupTaggedImage]) throws -> CleanupDecision {
        try CleanupFixture.decide(
            tags,
            keep: CleanupKeepRules(
                last: last, match: try keepMatch.map(CleanupFixture.pattern), tags: keepTags,
                newerThan: try newerThan.map(CleanupFixture.duration)),
            delete: CleanupDeleteRules(
                match: try deleteMatch.map(CleanupFixture.pattern),
                olderThan: try olderThan.map(CleanupFixture.duration)),
            allowEmpty: true)
    }
}
