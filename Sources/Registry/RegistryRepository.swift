import ByteStreams
import Foundation
import ImageTransports
import OCI

/// One repository of a registry, as an image source and an image destination.
///
/// Blobs coming from another repository of the same registry are mounted rather than copied;
/// blobs the repository already holds are skipped; the same blob pushed twice at once to the
/// same repository is uploaded once.
public final class RegistryRepository: ImageSource, ImageDestination, Sendable {
    /// Where the repository is, and the tag or digest it was opened at.
    public let reference: Reference
    public let client: RegistryClient
    public var repository: String { reference.repository }

    public init(session: RegistrySession, reference: Reference) {
        self.reference = reference
        self.client = session.client(for: reference.registry)
    }

    public var displayName: String { "docker://\(reference)" }

    // MARK: ImageSource

    public func listTags() async throws -> [String] {
        try await client.listTags(repository)
    }

    public func rootManifest() async throws -> ManifestData {
        if let digest = reference.digest { return try await manifest(.digest(digest)) }
        return try await manifest(.tag(reference.tag ?? "latest"))
    }

    public func manifest(_ reference: ManifestReference) async throws -> ManifestData {
        try await client.getManifest(repository, reference)
    }

    public func blob(_ descriptor: Descriptor) async throws -> any ByteSource {
        try await client.getBlob(repository, descriptor)
    }

    // MARK: ImageDestination

    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        try await client.headBlob(repository, descriptor.digest, forPush: true) != nil
    }

    public func putBlob(_ descriptor: Descriptor, from source: any ImageSource, content: (any ByteSource)?) async throws
        -> BlobTransfer
    {
        let key = "\(repository)@\(descriptor.digest)"
        let uploads = client.state.uploads
        var started = false
        let task = uploads.value(for: key) {
            started = true
            return Task { try await self.upload(descriptor, from: source, content: content) }
        }
        defer { if started { _ = uploads.remove(key) } }
        if !started { client.state.lock.withLock { client.state.joinedUploads += 1 } }
        let result = try await task.value
        return started ? result : .alreadyPresent
    }

    private func upload(_ descriptor: Descriptor, from source: any ImageSource, content: (any ByteSource)?)
        async throws -> BlobTransfer
    {
        if try await client.headBlob(repository, descriptor.digest, forPush: true) != nil { return .alreadyPresent }
        if let content {
            // Blobs made by a mutation are configs: held in memory so a retry can send them again.
            let bytes = try await content.readAll(limit: ContentLimits.configBytes)
            return try await client.uploadBlob(repository, descriptor) { DataByteSource(bytes) }
        }
        var mountFrom: String?
        if let registrySource = source as? RegistryRepository, registrySource.client.host == client.host {
            mountFrom = registrySource.repository
        }
        return try await client.uploadBlob(repository, descriptor, mountFrom: mountFrom) {
            try await source.blob(descriptor)
        }
    }

    public func manifestDigest(tag: String) async throws -> Digest? {
        try await client.headManifest(repository, .tag(tag), forPush: true)?.digest
    }

    public func hasManifest(_ digest: Digest) async throws -> Bool {
        try await client.headManifest(repository, .digest(digest), forPush: true) != nil
    }

    public func putManifest(_ manifest: ManifestData, tag: String?) async throws {
        try await client.putManifest(repository, manifest, reference: tag.map { .tag($0) } ?? .digest(manifest.digest))
    }

    /// Registries make every write visible at once: nothing to do.
    public func commit() async throws {}

    /// Registries cannot take uploads back: nothing to do.
    public func abort() async {}
}
