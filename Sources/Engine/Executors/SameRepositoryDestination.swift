import ByteStreams
import Foundation
import ImageTransports
import OCI

/// The repository an image is read from, written to again (relabeling in place or to a new tag).
///
/// Every blob and child manifest of the source image is already there, so asking the registry about
/// them (a HEAD per layer) only costs requests: they are answered "present" without one. What the
/// mutation made is answered "absent", also without a request: the upload checks for the blob
/// itself, and writing a manifest again is harmless. Relabeling thus moves no layer bytes.
struct SameRepositoryDestination: ImageDestination {
    let base: any ImageDestination
    /// Digests of the configs and manifests the mutation made.
    let made: Set<Digest>

    init(base: any ImageDestination, mutation: MutateResult?) {
        self.base = base
        let documents = (mutation?.blobs ?? []) + (mutation?.manifests ?? [])
        made = Set(documents.compactMap { try? Digest(parsing: $0.digest) })
    }

    var displayName: String { base.displayName }

    func hasBlob(_ descriptor: Descriptor) async throws -> Bool { !made.contains(descriptor.digest) }

    func putBlob(_ descriptor: Descriptor, from source: any ImageSource, content: (any ByteSource)?) async throws
        -> BlobTransfer
    {
        try await base.putBlob(descriptor, from: source, content: content)
    }

    func manifestDigest(tag: String) async throws -> Digest? { try await base.manifestDigest(tag: tag) }

    func hasManifest(_ digest: Digest) async throws -> Bool { !made.contains(digest) }

    func putManifest(_ manifest: ManifestData, tag: String?) async throws {
        try await base.putManifest(manifest, tag: tag)
    }

    func commit() async throws { try await base.commit() }

    func abort() async { await base.abort() }
}
