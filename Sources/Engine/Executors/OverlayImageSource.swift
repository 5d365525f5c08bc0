import ByteStreams
import Foundation
import ImageTransports
import OCI

/// A source whose root is a mutated manifest: the manifests and configs the mutation made come from
/// memory (the mutate step's result), everything else (layers, unchanged children) from `base`.
struct OverlayImageSource: ImageSource {
    let base: any ImageSource
    let root: ManifestData
    let manifests: [Digest: ManifestData]
    let blobs: [Digest: Data]

    init(base: any ImageSource, mutation: MutateResult) throws {
        self.base = base
        guard let stored = mutation.root else { throw StepRefusal("the mutate result has no manifest") }
        root = try stored.manifestData()
        var manifests: [Digest: ManifestData] = [:]
        for document in mutation.manifests {
            let data = try document.manifestData()
            manifests[data.digest] = data
        }
        self.manifests = manifests
        var blobs: [Digest: Data] = [:]
        for document in mutation.blobs {
            blobs[try document.checkedDigest()] = document.bytes
        }
        self.blobs = blobs
    }

    var displayName: String { base.displayName }
    func listTags() async throws -> [String] { try await base.listTags() }
    func rootManifest() async throws -> ManifestData { root }

    func manifest(_ reference: ManifestReference) async throws -> ManifestData {
        if case .digest(let digest) = reference {
            if digest == root.digest { return root }
            if let made = manifests[digest] { return made }
        }
        return try await base.manifest(reference)
    }

    func blob(_ descriptor: Descriptor) async throws -> any ByteSource {
        if let made = blobs[descriptor.digest] { return DataByteSource(made) }
        return try await base.blob(descriptor)
    }
}

extension StoredDocument {
    init(digest: Digest, mediaType: MediaType, bytes: Data) {
        self.init(digest: digest.description, mediaType: mediaType.rawValue, bytes: bytes)
    }

    /// The digest, checked against the bytes: the queue is a file anyone could edit.
    func checkedDigest() throws -> Digest {
        let actual = Digest.sha256(bytes)
        guard actual.description == digest else {
            throw StepRefusal("a stored document claims digest \(digest) but its bytes hash to \(actual)")
        }
        return actual
    }

    func manifestData() throws -> ManifestData {
        ManifestData(bytes: bytes, mediaType: MediaType(rawValue: mediaType), digest: try checkedDigest())
    }
}
