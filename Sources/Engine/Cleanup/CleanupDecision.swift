import Foundation
import OCI

/// What a cleanup does to one repository, decided at planning time.
public struct CleanupDecision: Sendable, Equatable {
    public let repository: String
    /// Every tag, newest first (`CleanupOrder`).
    public let entries: [CleanupEntry]
    /// The tags to delete by digest, parents before the manifests they refer to, then by tag name.
    ///
    /// Several tags may share a digest: the first deletion removes them all, so an executor should
    /// count "tag already gone" (after its compare step) as done.
    public let deletions: [CleanupDeletion]

    public init(repository: String, entries: [CleanupEntry], deletions: [CleanupDeletion]) {
        self.repository = repository
        self.entries = entries
        self.deletions = deletions
    }

    /// Tags that should go but cannot be deleted by digest without taking a kept tag or index with them.
    ///
    /// A registry that deletes tags by name (not by digest) may still remove them; others must leave them.
    public var notRemovable: [CleanupEntry] { entries.filter { $0.action == .notRemovable } }

    /// Tags that stay.
    public var kept: [CleanupEntry] { entries.filter { $0.action == .keep } }

    /// The entry for `tag`, if the repository had it.
    public func entry(for tag: String) -> CleanupEntry? { entries.first { $0.tag == tag } }
}

/// One tag's line in a decision.
public struct CleanupEntry: Sendable, Equatable {
    public let tag: String
    public let digest: Digest
    public let mediaType: MediaType
    public let created: Date?
    /// Why `created` is unknown; `nil` when it is known.
    public let unknownCreatedReason: String?
    /// The rule that decided.
    public let rule: CleanupRule
    public let action: CleanupAction

    public init(image: CleanupTaggedImage, rule: CleanupRule, action: CleanupAction) {
        tag = image.tag
        digest = image.digest
        mediaType = image.mediaType
        created = image.created
        unknownCreatedReason = image.unknownCreatedReason
        self.rule = rule
        self.action = action
    }
}

/// What happens to a tag.
public enum CleanupAction: String, Sendable, Hashable, CustomStringConvertible {
    case keep
    case delete
    /// A delete that would also remove a kept tag or a manifest a kept index needs.
    case notRemovable = "not removable"

    public var description: String { rawValue }
}

/// One tag to delete: at execution the tag is re-read and deleted only if it still names `digest`.
public struct CleanupDeletion: Sendable, Hashable {
    public let tag: String
    public let digest: Digest
    /// The rule that made it a deletion, for the audit.
    public let rule: CleanupRule

    public init(tag: String, digest: Digest, rule: CleanupRule) {
        self.tag = tag
        self.digest = digest
        self.rule = rule
    }
}
