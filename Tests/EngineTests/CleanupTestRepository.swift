import ByteStreams
import Foundation
import ImageTransports
import OCI
import Registry
import TestSupport

/// Manifests, blobs and tags built in memory for inventory loader tests, pushable to a real registry.
struct CleanupTestRepository: Sendable {
    /// Manifests in the order they were added: children before the indexes that list them.
    private(set) var manifests: [ManifestData] = []
    private(set) var blobs: [Digest: Data] = [:]
    private(set) var tags: [String: Digest] = [:]

    /// An image with one small layer whose config says `created` (no `created` field when nil).
    mutating func addImage(seed: UInt64, created: String?, architecture: String = "amd64") -> ManifestData {
        let layer = OCITestImages.tarArchive(
            fileName: "cleanup-\(seed).bin", contents: OCITestImages.randomBytes(seed: seed, count: 64))
        let layerDescriptor = Descriptor(mediaType: .ociLayerTar, digest: .sha256(layer), size: Int64(layer.count))
        var config: JSONObject = ["architecture": .string(architecture), "os": .string("linux")]
        if let created { config["created"] = .string(created) }
        config["rootfs"] = .object([
            "type": .string("layers"), "diff_ids": .array([.string(layerDescriptor.digest.description)]),
        ])
        let configBytes = config.encoded()
        let configDescriptor = Descriptor(
            mediaType: .ociConfig, digest: .sha256(configBytes), size: Int64(configBytes.count))
        blobs[layerDescriptor.digest] = layer
        blobs[configDescriptor.digest] = configBytes
        return addManifest([
            "schemaVersion": .integer(2), "mediaType": .string(MediaType.ociManifest.rawValue),
            "config": configDescriptor.jsonValue, "layers": .array([layerDescriptor.jsonValue]),
        ])
    }

    /// An artifact (empty config, one payload blob): it has no created date.
    mutating func addArtifact(seed: UInt64) -> ManifestData {
        let payload = OCITestImages.randomBytes(seed: seed, count: 32)
        let empty = Data("{}".utf8)
        blobs[.sha256(payload)] = payload
        blobs[.sha256(empty)] = empty
        return addManifest([
            "schemaVersion": .integer(2), "mediaType": .string(MediaType.ociManifest.rawValue),
            "artifactType": .string("application/vnd.example.sbom"),
            "config": Descriptor(mediaType: .ociEmpty, digest: .sha256(empty), size: 2).jsonValue,
            "layers": .array([
                Descriptor(mediaType: "application/octet-stream", digest: .sha256(payload), size: 32).jsonValue
            ]),
        ])
    }

    /// An index over `children`, given as descriptors so tests can mark attestations.
    mutating func addIndex(_ children: [Descriptor]) -> ManifestData {
        addManifest([
            "schemaVersion": .integer(2), "mediaType": .string(MediaType.ociIndex.rawValue),
            "manifests": .array(children.map(\.jsonValue)),
        ])
    }

    mutating func tag(_ tag: String, _ manifest: ManifestData) {
        tags[tag] = manifest.digest
    }

    /// The descriptor an index lists for `manifest` as a platform image or as a buildx attestation.
    static func child(_ manifest: ManifestData, architecture: String = "amd64", attestation: Bool = false)
        -> Descriptor
    {
        Descriptor(
            mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size,
            annotations: attestation ? [Descriptor.dockerReferenceTypeAnnotation: "attestation-manifest"] : nil,
            platform: attestation
                ? Platform(architecture: "unknown", os: "unknown") : Platform(architecture: architecture, os: "linux"))
    }

    /// Pushes every blob, every manifest (children first) and every tag to `repository`.
    func push(to repository: RegistryRepository) async throws {
        for (digest, bytes) in blobs.sorted(by: { $0.key < $1.key }) {
            let descriptor = Descriptor(mediaType: "application/octet-stream", digest: digest, size: Int64(bytes.count))
            _ = try await repository.putBlob(descriptor, from: repository, content: DataByteSource(bytes))
        }
        for manifest in manifests {
            try await repository.putManifest(manifest, tag: nil)
        }
        for (tag, digest) in tags.sorted(by: { $0.key < $1.key }) {
            guard let manifest = manifests.first(where: { $0.digest == digest }) else { continue }
            try await repository.putManifest(manifest, tag: tag)
        }
    }

    private mutating func addManifest(_ json: JSONObject) -> ManifestData {
        let bytes = json.encoded()
        let mediaType = MediaType(rawValue: json["mediaType"]?.stringValue ?? MediaType.ociManifest.rawValue)
        let manifest = ManifestData(bytes: bytes, mediaType: mediaType)
        if !manifests.contains(where: { $0.digest == manifest.digest }) { manifests.append(manifest) }
        return manifest
    }
}

/// Serves a `CleanupTestRepository` as an image source and records what was read.
final class CleanupFakeSource: ImageSource {
    let content: CleanupTestRepository
    /// Tags listed but gone when read (404), as when a tag is deleted during planning.
    let vanishedTags: Set<String>
    let log = CleanupReadLog()

    init(_ content: CleanupTestRepository, vanishedTags: Set<String> = []) {
        self.content = content
        self.vanishedTags = vanishedTags
    }

    var displayName: String { "fake:cleanup" }

    func listTags() async throws -> [String] { content.tags.keys.sorted() }

    func rootManifest() async throws -> ManifestData { throw RegistryError(.unsupported) }

    func manifest(_ reference: ManifestReference) async throws -> ManifestData {
        await log.enter(reference)
        // Let other readers start, so the concurrency bound is exercised.
        await Task.yield()
        let digest: Digest?
        switch reference {
        case .tag(let tag): digest = vanishedTags.contains(tag) ? nil : content.tags[tag]
        case .digest(let wanted): digest = wanted
        }
        let found = content.manifests.first { $0.digest == digest }
        await log.leave()
        guard let manifest = found else {
            throw RegistryError(.notFound, method: "GET", message: "manifest \(reference) unknown")
        }
        return manifest
    }

    func blob(_ descriptor: Descriptor) async throws -> any ByteSource {
        await log.recordBlob(descriptor.digest)
        guard let bytes = content.blobs[descriptor.digest] else {
            throw RegistryError(.notFound, method: "GET", message: "blob \(descriptor.digest) unknown")
        }
        return DataByteSource(bytes)
    }
}

/// What a fake source was asked for.
actor CleanupReadLog {
    private(set) var blobs: [Digest] = []
    private(set) var manifests: [ManifestReference] = []
    private(set) var maximumInFlight = 0
    private var inFlight = 0

    func enter(_ reference: ManifestReference) {
        manifests.append(reference)
        inFlight += 1
        maximumInFlight = max(maximumInFlight, inFlight)
    }

    func leave() { inFlight -= 1 }

    func recordBlob(_ digest: Digest) { blobs.append(digest) }
}
