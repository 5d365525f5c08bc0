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
        let sharing = try await Self.tags(of: repository, pointingAt: digest, client: client)
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
            } catch let error as RegistryError where error.isNotFound {
                // Another tag deleted in the same run may have taken the manifest already.
                throw RegistryError(
                    .notFound, url: "\(registry)/\(repository)@\(digest)", status: 404,
                    message: "manifest \(digest) does not exist (already deleted)")
            }
        }
    }

    /// The tags of `repository` that point at `digest`, sorted; each tag is checked with a HEAD,
    /// a few at a time.
    static func tags(of repository: String, pointingAt digest: Digest, client: RegistryClient) async throws
        -> [String]
    {
        let all: [String]
        do {
            all = try await client.listTags(repository)
        } catch let error as RegistryError where error.isNotFound {
            return []
        }
        var matching: [String] = []
        try await withThrowingTaskGroup(of: String?.self) { group in
            var pending = all[...]
            func startNext() {
                guard let tag = pending.popFirst() else { return }
                group.addTask {
                    try await client.headManifest(repository, .tag(tag), forPush: true)?.digest == digest ? tag : nil
                }
            }
            for _ in 0..<tagCheckConcurrency { startNext() }
            while let result = try await group.next() {
                if let tag = result { matching.append(tag) }
                startNext()
            }
        }
        return matching.sorted()
    }
}
