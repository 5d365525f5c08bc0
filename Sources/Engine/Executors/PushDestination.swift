import ByteStreams
import Foundation
import ImageTransports
import OCI

/// A push step's destination, answering from what the step already knows instead of asking again.
///
/// - The target tag was just read by the step's first check, so the copier's own check gets that
///   answer without a second HEAD.
/// - When the target is the source's own repository (relabeling in place or to a new tag), every
///   blob and child manifest of the source image is already there, so they are answered "present"
///   (and `putBlob` reports them present)
///   without a HEAD per layer; what the mutation made is answered "absent", also without a request
///   (the upload checks for the blob itself, and writing a manifest again is harmless). Relabeling
///   thus moves no layer bytes and costs no request per layer.
struct PushDestination: ImageDestination {
    let base: any ImageDestination
    let tag: String?
    /// What `tag` pointed at when the step checked (nil: it did not exist).
    let tagDigest: Digest?
    let sameRepository: Bool
    /// Digests of the configs and manifests the mutation made.
    let made: Set<Digest>

    init(base: any ImageDestination, tag: String?, tagDigest: Digest?, sameRepository: Bool, mutation: MutateResult?) {
        self.base = base
        self.tag = tag
        self.tagDigest = tagDigest
        self.sameRepository = sameRepository
        let documents = (mutation?.blobs ?? []) + (mutation?.manifests ?? [])
        made = Set(documents.compactMap { try? Digest(parsing: $0.digest) })
    }

    var displayName: String { base.displayName }

    func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        guard sameRepository else { return try await base.hasBlob(descriptor) }
        return !made.contains(descriptor.digest)
    }

    func putBlob(_ descriptor: Descriptor, from source: any ImageSource, content: (any ByteSource)?) async throws
        -> BlobTransfer
    {
        if sameRepository, !made.contains(descriptor.digest) { return .alreadyPresent }
        return try await base.putBlob(descriptor, from: source, content: content)
    }

    func manifestDigest(tag: String) async throws -> Digest? {
        tag == self.tag ? tagDigest : try await base.manifestDigest(tag: tag)
    }

    func hasManifest(_ digest: Digest) async throws -> Bool {
        guard sameRepository else { return try await base.hasManifest(digest) }
        return !made.contains(digest)
    }

    func putManifest(_ manifest: ManifestData, tag: String?) async throws {
        try await base.putManifest(manifest, tag: tag)
    }

    func commit() async throws { try await base.commit() }

    func abort() async { await base.abort() }
}
