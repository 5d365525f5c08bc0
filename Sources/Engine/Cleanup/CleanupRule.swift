import OCI

/// The rule that decided a tag's fate; its description is what the decision table and the audit show.
public enum CleanupRule: Sendable, Hashable, CustomStringConvertible {
    /// Not a delete candidate: `delete.match` (the pattern's source) does not match the tag.
    case deleteMatchFails(String)
    /// Not a delete candidate: the image is not known to be older than `delete.olderThan`.
    case notOlderThan(PlanDuration, createdUnknown: Bool)
    /// The tag is listed in `keep.tags`.
    case keepTags
    /// The tag matches `keep.match` (the pattern's source).
    case keepMatch(String)
    /// The tag's image is among the N newest images.
    case keepLast(Int)
    /// The image is younger than the duration, or its age is unknown.
    case keepNewerThan(PlanDuration, createdUnknown: Bool)
    /// The tag matches every delete rule and no keep rule protects it; no rules means every tag.
    case deleteCandidate(match: String?, olderThan: PlanDuration?)
    /// Would be deleted, but a kept tag names the same digest: deleting the digest would remove it too.
    case sharedDigest(keptTag: String)
    /// Would be deleted, but a kept index refers to this manifest.
    case referencedByKeptIndex(tag: String, index: Digest)

    public var description: String {
        switch self {
        case .deleteMatchFails(let pattern):
            "not a delete candidate: delete.match(\(pattern)) does not match"
        case .notOlderThan(let duration, let createdUnknown):
            createdUnknown
                ? "not a delete candidate: delete.olderThan(\(duration)) never matches an unknown age"
                : "not a delete candidate: not older than \(duration) (delete.olderThan)"
        case .keepTags: "keep.tags"
        case .keepMatch(let pattern): "keep.match(\(pattern))"
        case .keepLast(let count): "keep.last(\(count))"
        case .keepNewerThan(let duration, let createdUnknown):
            createdUnknown ? "keep.newerThan(\(duration)): age unknown, kept to be safe" : "keep.newerThan(\(duration))"
        case .deleteCandidate(nil, nil): "no delete rule and no keep rule protects it"
        case .deleteCandidate(let match, let olderThan):
            [match.map { "delete.match(\($0))" }, olderThan.map { "delete.olderThan(\($0))" }]
                .compactMap { $0 }.joined(separator: " + ")
        case .sharedDigest(let keptTag): "digest shared with kept tag \(keptTag)"
        case .referencedByKeptIndex(let tag, let index):
            "manifest referenced by kept index \(tag) (\(CleanupDecisionTable.shortDigest(index)))"
        }
    }
}
