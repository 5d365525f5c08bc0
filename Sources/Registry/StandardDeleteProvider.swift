import Foundation
import OCI

/// Any registry with the distribution API's DELETE: resolve the tag, delete by digest.
///
/// The registry deletes the manifest, and with it every tag that points at it. So a tag is only
/// deleted when every other tag on its digest is deleted in the same run (`alongWith`); otherwise
/// the plan refuses. A delete by digest is explicit and allowed; its plan names the tags that go.
public struct StandardDeleteProvider: DeleteProvider {
    let session: RegistrySession
    /// How many tags are checked at once when looking for the tags that share a digest.
    static let tagCheckConcurrency = 8

    public func plan(_ reference: Reference) async throws -> [DeleteAction] {
        try await plan(reference, alongWith: [])
    }

    public func plan(_ reference: Reference, alongWith tags: Set<String>) async throws -> [DeleteAction] {
        let client = session.client(for: reference.registry)
        let repository = reference.repository
        let digest: Digest
        if let given = reference.digest {
            digest = given
        } else {
            let tag = reference.tag ?? "latest"
            guard let head = try await client.headManifest(repository, .tag(tag), forPush: true) else {
                throw RegistryError(
                    .notFound, url: reference.description, status: 404, message: "tag \(tag) does not exist")
            }
            digest = head.digest
        }
        let sharing = try await Self.tags(
            of: repository, pointingAt: digest, client: client, cache: session.tagDigests)
        if let tag = reference.tag {
            let untouched = sharing.filter { $0 != tag && !tags.contains($0) }
            if !untouched.isEmpty {
                throw RegistryError(
                    .unsupported, url: reference.description,
                    message:
                        "not deleted: \(digest) is also tagged \(untouched.joined(separator: ", ")) in "
                        + "\(reference.name); deleting it would remove those tags too (delete them together, "
                        + "or retag first)")
            }
        }
        return [.deleteManifest(registry: reference.registry, repository: repository, digest: digest, tags: sharing)]
    }

    public func execute(_ actions: [DeleteAction]) async throws {
        for case .deleteManifest(let registry, let repository, let digest, _) in actions {
            do {
                try await session.client(for: registry).deleteManifest(repository, .digest(digest))
                session.tagDigests.forget(digest, in: "\(registry)/\(repository)")
            } catch let error as RegistryError where error.isNotFound {
                // Another tag deleted in the same run may have taken the manifest already.
                throw RegistryError(
                    .notFound, url: "\(registry)/\(repository)@\(digest)", status: 404,
                    message: "manifest \(digest) does not exist (already deleted)")
            }
        }
    }

    /// The tags of `repository` that point at `digest`, sorted. The tag list is read every time; a
    /// tag's digest is checked with a HEAD (a few at a time) unless it was seen in the last minute,
    /// so deleting a thousand tags of one repository costs about a thousand HEADs, not a million.
    static func tags(
        of repository: String, pointingAt digest: Digest, client: RegistryClient, cache: TagDigestCache
    ) async throws -> [String] {
        let all: [String]
        do {
            all = try await client.listTags(repository)
        } catch let error as RegistryError where error.isNotFound {
            return []
        }
        let key = "\(client.name)/\(repository)"
        let known = cache.recent(key)
        var digests: [String: Digest] = [:]
        var unknown: [String] = []
        for tag in all {
            if let seen = known[tag] { digests[tag] = seen } else { unknown.append(tag) }
        }
        try await withThrowingTaskGroup(of: (String, Digest?).self) { group in
            var pending = unknown[...]
            func startNext() {
                guard let tag = pending.popFirst() else { return }
                group.addTask { (tag, try await client.headManifest(repository, .tag(tag), forPush: true)?.digest) }
            }
            for _ in 0..<tagCheckConcurrency { startNext() }
            while let (tag, found) = try await group.next() {
                if let found { digests[tag] = found }
                startNext()
            }
        }
        cache.remember(key, digests)
        return digests.filter { $0.value == digest }.map(\.key).sorted()
    }
}

/// Which digest each tag of a repository had when last checked, kept for a minute, so the checks
/// of many deletes in one repository share their HEADs. A digest deleted is forgotten at once.
public final class TagDigestCache: Sendable {
    private struct Entry: Sendable {
        var checkedAt: ContinuousClock.Instant
        var digests: [String: Digest]
    }

    private let entries = LockedDictionary<String, Entry>()
    private let maxAge: Duration

    init(maxAge: Duration = .seconds(60)) {
        self.maxAge = maxAge
    }

    func recent(_ repository: String) -> [String: Digest] {
        guard let entry = entries[repository], ContinuousClock.now - entry.checkedAt < maxAge else { return [:] }
        return entry.digests
    }

    func remember(_ repository: String, _ digests: [String: Digest]) {
        entries[repository] = Entry(checkedAt: .now, digests: digests)
    }

    func forget(_ digest: Digest, in repository: String) {
        guard var entry = entries[repository] else { return }
        entry.digests = entry.digests.filter { $0.value != digest }
        entries[repository] = entry
    }
}
