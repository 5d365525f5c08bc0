import Foundation
import OCI

/// Any registry with the distribution API's DELETE: resolve the tag, delete by digest.
///
/// The registry deletes the manifest, and with it every tag that points at it. So a tag is only
/// deleted when every other tag on its digest is deleted in the same run (`alongWith`); otherwise
/// the plan refuses. A delete by digest is explicit and allowed; its plan names the tags that go.
public struct StandardDeleteProvider: DeleteProvider {
    let session: RegistrySession

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
                await session.tagDigests.forget(digest, in: "\(registry)/\(repository)")
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
        let digests = try await cache.digests(of: all, in: key) { tag in
            try await client.headManifest(repository, .tag(tag), forPush: true)?.digest
        }
        return digests.filter { $0.value == digest }.map(\.key).sorted()
    }
}

/// Which digest each tag of a repository had when last checked, kept for a minute, so the checks
/// of many deletes in one repository share their HEADs; concurrent deletes in one repository wait
/// for one check instead of each making their own. A digest deleted is forgotten at once. New tags
/// are always seen (the tag list is read every time); the one thing a minute-old answer can miss is
/// an existing tag moved onto the digest being deleted within that minute.
public actor TagDigestCache {
    private struct Entry {
        var checkedAt: ContinuousClock.Instant
        var digests: [String: Digest]
    }

    private var entries: [String: Entry] = [:]
    private var checking: [String: Task<Void, any Error>] = [:]
    private let maxAge: Duration
    private let concurrency: Int

    init(maxAge: Duration = .seconds(60), concurrency: Int = 8) {
        self.maxAge = maxAge
        self.concurrency = concurrency
    }

    /// The digest of each of `tags` (a tag that vanished has none), checking with `head` only the
    /// tags not checked in the last minute.
    func digests(
        of tags: [String], in repository: String, head: @escaping @Sendable (String) async throws -> Digest?
    ) async throws -> [String: Digest] {
        while let running = checking[repository] { _ = try? await running.value }
        let known = recent(repository)
        let unknown = tags.filter { known[$0] == nil }
        if !unknown.isEmpty {
            let limit = concurrency
            let check = Task { () async throws -> [String: Digest] in
                try await withThrowingTaskGroup(of: (String, Digest?).self) { group in
                    var pending = unknown[...]
                    var found: [String: Digest] = [:]
                    func startNext() {
                        guard let tag = pending.popFirst() else { return }
                        group.addTask { (tag, try await head(tag)) }
                    }
                    for _ in 0..<limit { startNext() }
                    while let (tag, digest) = try await group.next() {
                        if let digest { found[tag] = digest }
                        startNext()
                    }
                    return found
                }
            }
            checking[repository] = Task { _ = try await check.value }
            defer { checking[repository] = nil }
            let found = try await check.value
            var merged = recent(repository)
            merged.merge(found) { _, new in new }
            entries[repository] = Entry(checkedAt: .now, digests: merged)
        }
        let current = recent(repository)
        return Dictionary(uniqueKeysWithValues: tags.compactMap { tag in current[tag].map { (tag, $0) } })
    }

    private func recent(_ repository: String) -> [String: Digest] {
        guard let entry = entries[repository], ContinuousClock.now - entry.checkedAt < maxAge else { return [:] }
        return entry.digests
    }

    func forget(_ digest: Digest, in repository: String) {
        guard var entry = entries[repository] else { return }
        entry.digests = entry.digests.filter { $0.value != digest }
        entries[repository] = entry
    }
}
