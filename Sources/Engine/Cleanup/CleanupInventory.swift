import Foundation
import OCI

/// One repository's tags as a cleanup sees them at planning time.
///
/// Built by `CleanupInventoryLoader` from a registry, or by hand in tests; `CleanupPolicy` decides on it
/// without further I/O.
public struct CleanupInventory: Sendable, Equatable {
    /// The repository as messages name it (`registry.example.com/team/app`).
    public var repository: String
    /// One entry per tag, in any order.
    public var tags: [CleanupTaggedImage]

    public init(repository: String, tags: [CleanupTaggedImage]) {
        self.repository = repository
        self.tags = tags
    }
}

/// What one tag pointed at when the repository was read.
///
/// `created` is the image config's `created`; for an index, the newest `created` among its images
/// (attestations and other artifacts do not count). It is `nil` when unknown: no config, no or an
/// unreadable `created`, a placeholder date (see `CleanupInventoryLoader.earliestPlausibleCreated`),
/// an artifact, or an index none of whose images has a date. `CleanupPolicy` treats an unknown age
/// the safe way: no age rule deletes it, and it ranks oldest for `keep.last`.
public struct CleanupTaggedImage: Sendable, Equatable {
    public var tag: String
    /// The digest the tag resolved to.
    public var digest: Digest
    public var mediaType: MediaType
    public var created: Date?
    /// Why `created` is `nil`, for the decision table; `nil` when the date is known.
    public var unknownCreatedReason: String?
    /// Every manifest the tagged manifest refers to, directly or through nested indexes, including
    /// attestations and artifacts; empty for an image.
    public var children: Set<Digest>

    public init(
        tag: String, digest: Digest, mediaType: MediaType = .ociManifest, created: Date?,
        unknownCreatedReason: String? = nil, children: Set<Digest> = []
    ) {
        self.tag = tag
        self.digest = digest
        self.mediaType = mediaType
        self.created = created
        self.unknownCreatedReason = created == nil ? unknownCreatedReason ?? "created date unknown" : nil
        self.children = children
    }
}
