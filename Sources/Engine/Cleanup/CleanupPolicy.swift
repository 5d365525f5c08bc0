import Foundation
import OCI

/// Decides which tags of a repository a cleanup deletes.
///
/// A tag is deleted when it is a delete candidate and no keep rule protects it:
/// - candidate: it satisfies every delete rule given (`delete.match` finds the pattern in the tag;
///   `delete.olderThan` holds when the age is known and strictly greater); with no delete rule, every
///   tag is a candidate;
/// - protected: it is in `keep.tags`, matches `keep.match`, names one of the `keep.last` N newest
///   distinct digests (ranked by `CleanupOrder`, so several tags of one image count once), or its age
///   is unknown or strictly less than `keep.newerThan`.
///
/// Ages are measured from `now` to `created`. An unknown age is never old enough for
/// `delete.olderThan`, always counts as new for `keep.newerThan`, and ranks oldest for `keep.last`.
///
/// Then nothing a kept tag needs is deleted: a tag whose digest a kept tag also names, or that a kept
/// index refers to (at any depth), becomes `notRemovable`, because registries delete by digest.
///
/// The rule recorded is the first that decides: a failed delete rule, then `keep.tags`,
/// `keep.match`, `keep.last`, `keep.newerThan`; a deletion records the delete rules it matched.
public struct CleanupPolicy: Sendable, Equatable {
    public var keep: CleanupKeepRules
    public var delete: CleanupDeleteRules
    /// Whether the policy may delete every tag of a repository.
    public var allowEmpty: Bool

    public init(
        keep: CleanupKeepRules = CleanupKeepRules(), delete: CleanupDeleteRules = CleanupDeleteRules(),
        allowEmpty: Bool = false
    ) {
        self.keep = keep
        self.delete = delete
        self.allowEmpty = allowEmpty
    }

    /// The policy of a cleanup job.
    public init(job: CleanupJob) {
        self.init(keep: job.keep, delete: job.delete, allowEmpty: job.allowEmpty)
    }

    /// Decides every tag of `inventory`.
    ///
    /// - Throws: `CleanupRefusal` when every tag would be deleted and `allowEmpty` is false.
    public func decide(_ inventory: CleanupInventory, now: Date) throws(CleanupRefusal) -> CleanupDecision {
        let ranked = CleanupOrder.newestFirst(inventory.tags)
        let newestDigests = newestDigests(ranked.filter { isDeleteCandidate($0, now: now) })
        let firstPass = ranked.map { image in
            (image: image, rule: protectingRule(image, newestDigests: newestDigests, now: now))
        }

        // Digests kept tags need: their own, and everything a kept index refers to.
        var keptTagByDigest: [Digest: String] = [:]
        var keptIndexByChild: [Digest: (tag: String, index: Digest)] = [:]
        for (image, rule) in firstPass where rule != nil {
            if keptTagByDigest[image.digest] == nil { keptTagByDigest[image.digest] = image.tag }
            for child in image.children.sorted() where keptIndexByChild[child] == nil {
                keptIndexByChild[child] = (image.tag, image.digest)
            }
        }

        let entries = firstPass.map { image, protectingRule in
            if let protectingRule { return CleanupEntry(image: image, rule: protectingRule, action: .keep) }
            if let keptTag = keptTagByDigest[image.digest] {
                return CleanupEntry(image: image, rule: .sharedDigest(keptTag: keptTag), action: .notRemovable)
            }
            if let parent = keptIndexByChild[image.digest] {
                return CleanupEntry(
                    image: image, rule: .referencedByKeptIndex(tag: parent.tag, index: parent.index),
                    action: .notRemovable)
            }
            let rule = CleanupRule.deleteCandidate(match: delete.match?.source, olderThan: delete.olderThan)
            return CleanupEntry(image: image, rule: rule, action: .delete)
        }
        let decision = CleanupDecision(
            repository: inventory.repository, entries: entries,
            deletions: Self.deletionOrder(entries, inventory: inventory))
        if !allowEmpty, !entries.isEmpty, decision.deletions.count == entries.count {
            throw CleanupRefusal(decision: decision)
        }
        return decision
    }

    /// True when `image` passes every delete rule given (every image does when none is given).
    private func isDeleteCandidate(_ image: CleanupTaggedImage, now: Date) -> Bool {
        if let pattern = delete.match, !pattern.matches(image.tag) { return false }
        if let olderThan = delete.olderThan {
            guard let created = image.created, now.timeIntervalSince(created) > olderThan.seconds else { return false }
        }
        return true
    }

    /// The digests of the `keep.last` newest delete candidates, counting each digest once: with
    /// `delete.match: ^pr-` and `keep.last: 5`, the five newest PR builds stay, whatever else the
    /// repository holds (as gcr-cleaner and ECR lifecycle rules count).
    private func newestDigests(_ ranked: [CleanupTaggedImage]) -> Set<Digest> {
        guard let count = keep.last, count > 0 else { return [] }
        var digests: Set<Digest> = []
        for image in ranked where digests.count < count {
            digests.insert(image.digest)
        }
        return digests
    }

    /// The rule that keeps `image` in the first pass, or `nil` when it is to be deleted.
    private func protectingRule(_ image: CleanupTaggedImage, newestDigests: Set<Digest>, now: Date) -> CleanupRule? {
        let age = image.created.map { now.timeIntervalSince($0) }
        if let pattern = delete.match, !pattern.matches(image.tag) {
            return .deleteMatchFails(pattern.source)
        }
        if let olderThan = delete.olderThan {
            guard let age, age > olderThan.seconds else {
                return .notOlderThan(olderThan, createdUnknown: age == nil)
            }
        }
        if keep.tags.contains(image.tag) { return .keepTags }
        if let pattern = keep.match, pattern.matches(image.tag) { return .keepMatch(pattern.source) }
        if let count = keep.last, newestDigests.contains(image.digest) { return .keepLast(count) }
        if let newerThan = keep.newerThan {
            guard let age else { return .keepNewerThan(newerThan, createdUnknown: true) }
            if age < newerThan.seconds { return .keepNewerThan(newerThan, createdUnknown: false) }
        }
        return nil
    }

    /// Deletions with every index before the manifests it refers to, then by tag name.
    ///
    /// A manifest inside k deleted indexes comes after all of them: its containers hold it at every
    /// depth, so each container is inside fewer deleted indexes than it.
    private static func deletionOrder(_ entries: [CleanupEntry], inventory: CleanupInventory) -> [CleanupDeletion] {
        let deleted = entries.filter { $0.action == .delete }
        let deletedDigests = Set(deleted.map(\.digest))
        var containerCount: [Digest: Int] = [:]
        var countedIndexes: Set<Digest> = []
        for image in inventory.tags where deletedDigests.contains(image.digest) {
            guard countedIndexes.insert(image.digest).inserted else { continue }
            for child in image.children { containerCount[child, default: 0] += 1 }
        }
        return
            deleted
            .sorted { lhs, rhs in
                let left = containerCount[lhs.digest] ?? 0
                let right = containerCount[rhs.digest] ?? 0
                if left != right { return left < right }
                return lhs.tag.utf8.lexicographicallyPrecedes(rhs.tag.utf8)
            }
            .map { CleanupDeletion(tag: $0.tag, digest: $0.digest, rule: $0.rule) }
    }
}
