import OCI

/// One job of a plan: a name unique in the plan and what to do.
public struct Job: Sendable, Equatable {
    /// Unique in the plan; audit records and `--job` filters use it.
    public var id: String
    public var kind: JobKind

    public init(id: String, kind: JobKind) {
        self.id = id
        self.kind = kind
    }
}

/// What a job does.
public enum JobKind: Sendable, Equatable {
    case copy(CopyJob)
    case relabel(RelabelJob)
    case delete(DeleteJob)
    case cleanup(CleanupJob)

    /// The plan key of this kind: "copy", "relabel", "delete" or "cleanup".
    public var name: String {
        switch self {
        case .copy: "copy"
        case .relabel: "relabel"
        case .delete: "delete"
        case .cleanup: "cleanup"
        }
    }
}

/// Copy images from a source to a target, optionally changing labels and annotations on the way.
public struct CopyJob: Sendable, Equatable {
    public var from: ImageLocation
    public var to: ImageLocation
    /// Which tags to copy when `from` is a whole repository.
    public var tags: TagFilter
    /// `OS/ARCH[/VARIANT]` to keep from multi-platform images; `nil` keeps all.
    public var platforms: [String]?
    /// Also copy artifacts whose `subject` is a copied image.
    public var referrers: Bool
    /// Labels and annotations set before pushing; `nil` copies the bytes unchanged.
    public var mutation: Mutation?

    public init(
        from: ImageLocation, to: ImageLocation, tags: TagFilter = .all, platforms: [String]? = nil,
        referrers: Bool = false, mutation: Mutation? = nil
    ) {
        self.from = from
        self.to = to
        self.tags = tags
        self.platforms = platforms
        self.referrers = referrers
        self.mutation = mutation
    }
}

/// Set labels and annotations on images already in a registry.
public struct RelabelJob: Sendable, Equatable {
    public var repositories: [RepositoryName]
    public var tags: TagFilter
    public var mutation: Mutation
    /// Template for a new tag, `{tag}` standing for the original; `nil` relabels in place.
    public var toTag: String?

    /// What `toTag` templates write for the original tag.
    public static let tagPlaceholder = "{tag}"

    public init(repositories: [RepositoryName], tags: TagFilter = .all, mutation: Mutation, toTag: String? = nil) {
        self.repositories = repositories
        self.tags = tags
        self.mutation = mutation
        self.toTag = toTag
    }

    /// The tag the relabeled image of `tag` is written under.
    public func targetTag(for tag: String) -> String {
        guard let toTag else { return tag }
        return toTag.replacingOccurrences(of: Self.tagPlaceholder, with: tag)
    }
}

/// Delete the listed tags or digests.
public struct DeleteJob: Sendable, Equatable {
    /// Registry references, each with a tag or a digest as written in the plan.
    public var images: [Reference]

    public init(images: [Reference]) {
        self.images = images
    }
}

/// A retention policy applied to repositories.
///
/// A tag is deleted when it is a delete candidate (`delete` rules; every tag when there are none)
/// and no `keep` rule protects it.
public struct CleanupJob: Sendable, Equatable {
    public var scope: CleanupScope
    public var keep: CleanupKeepRules
    public var delete: CleanupDeleteRules
    /// Whether the policy may delete every tag of a repository.
    public var allowEmpty: Bool

    public init(
        scope: CleanupScope, keep: CleanupKeepRules = CleanupKeepRules(),
        delete: CleanupDeleteRules = CleanupDeleteRules(), allowEmpty: Bool = false
    ) {
        self.scope = scope
        self.keep = keep
        self.delete = delete
        self.allowEmpty = allowEmpty
    }
}

/// The repositories a cleanup job works on.
public enum CleanupScope: Sendable, Equatable {
    case repositories([RepositoryName])
    /// Every repository in `registry`'s catalog whose name starts with `prefix` (may be empty).
    case catalogPrefix(registry: String, prefix: String)
}

/// Rules that protect tags from a cleanup; any one of them protects.
public struct CleanupKeepRules: Sendable, Equatable {
    /// Keep the N newest images (distinct digests) among the delete candidates of each repository.
    public var last: Int?
    public var match: TagPattern?
    public var tags: [String]
    /// Keep images created less than this long ago.
    public var newerThan: PlanDuration?

    public init(last: Int? = nil, match: TagPattern? = nil, tags: [String] = [], newerThan: PlanDuration? = nil) {
        self.last = last
        self.match = match
        self.tags = tags
        self.newerThan = newerThan
    }

    /// Whether no rule is set, so nothing is protected.
    public var isEmpty: Bool { (last ?? 0) == 0 && match == nil && tags.isEmpty && newerThan == nil }
}

/// Rules that make tags delete candidates; a tag must satisfy every rule that is set.
public struct CleanupDeleteRules: Sendable, Equatable {
    public var match: TagPattern?
    /// Only images created longer ago than this.
    public var olderThan: PlanDuration?

    public init(match: TagPattern? = nil, olderThan: PlanDuration? = nil) {
        self.match = match
        self.olderThan = olderThan
    }

    /// Whether no rule is set, so every tag is a candidate.
    public var isEmpty: Bool { match == nil && olderThan == nil }
}
