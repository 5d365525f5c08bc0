import ByteStreams
import Foundation
import OCI

/// Copies an image or index from any source to any destination.
///
/// Checks before it writes (a tag already at the digest skips the whole copy; blobs and child manifests
/// the destination holds are skipped), writes blobs before manifests and children before parents,
/// streams layers (never whole in memory) with a bounded number of blobs in flight, and sends each
/// distinct blob once. On failure the destination is told to `abort()` and the error is rethrown.
public struct ImageCopier: Sendable {
    public let blobConcurrency: Int

    public init(blobConcurrency: Int = 4) {
        self.blobConcurrency = max(1, blobConcurrency)
    }

    /// Copies `source`'s root manifest to `destination` under `tag` (by digest only when nil), first
    /// applying `mutation` when one is given. The mutation reads child manifests and configs from the
    /// source; the configs and manifests it makes are written from memory, layers still stream.
    public func copy(
        from source: any ImageSource, to destination: any ImageDestination, tag: String?,
        mutation: ImageMutation? = nil
    ) async throws -> CopyReport {
        let original = try await source.rootManifest()
        guard let mutation, !mutation.isEmpty else {
            return try await copy(root: original, created: CreatedContent(), from: source, to: destination, tag: tag)
        }
        let result: MutationResult
        do {
            result = try await mutation.apply(toManifest: original.bytes, mediaType: original.mediaType) {
                descriptor in
                if descriptor.mediaType.isManifest {
                    return try await source.manifest(.digest(descriptor.digest)).bytes
                }
                return try await source.blob(descriptor).readAll(limit: ContentLimits.configBytes)
            }
        } catch let error as OCIError {
            throw TransportError.invalid("\(source.displayName): \(error.message)")
        }
        var created = CreatedContent()
        for blob in result.newBlobs { created.blobs[blob.descriptor.digest] = blob.bytes }
        for manifest in result.newManifests {
            created.manifests[manifest.descriptor.digest] = ManifestData(
                bytes: manifest.bytes, mediaType: manifest.descriptor.mediaType, digest: manifest.descriptor.digest)
        }
        let root = ManifestData(bytes: result.bytes, mediaType: result.mediaType, digest: result.digest)
        return try await copy(root: root, created: created, from: source, to: destination, tag: tag)
    }

    /// Copies `root` (which may be new, with new child manifests and blobs in `created`) to `destination`.
    func copy(
        root: ManifestData, created: CreatedContent, from source: any ImageSource,
        to destination: any ImageDestination, tag: String?
    ) async throws -> CopyReport {
        do {
            var walk = TreeWalk(source: source, destination: destination, created: created)
            if let tag, try await destination.manifestDigest(tag: tag) == root.digest {
                let size = try await walk.visit(root, collect: false)
                var report = CopyReport(digest: root.digest, mediaType: root.mediaType, size: size)
                report.skipped = true
                return report
            }
            let size = try await walk.visit(root, collect: true)
            var report = CopyReport(digest: root.digest, mediaType: root.mediaType, size: size)
            report.manifestsSkipped = walk.manifestsSkipped
            try await pushBlobs(walk.blobs, created: created, from: source, to: destination, into: &report)
            for manifest in walk.manifests {
                try await destination.putManifest(manifest, tag: nil)
                report.manifestsWritten += 1
            }
            try await destination.putManifest(root, tag: tag)
            report.manifestsWritten += 1
            try await destination.commit()
            return report
        } catch {
            await destination.abort()
            throw error
        }
    }

    private func pushBlobs(
        _ blobs: [Descriptor], created: CreatedContent, from source: any ImageSource,
        to destination: any ImageDestination, into report: inout CopyReport
    ) async throws {
        try await withThrowingTaskGroup(of: BlobTransfer.self) { group in
            var pending = blobs[...]
            func record(_ transfer: BlobTransfer) {
                switch transfer {
                case .uploaded(let bytes):
                    report.blobsUploaded += 1
                    report.bytesMoved += bytes
                case .mounted: report.blobsMounted += 1
                case .alreadyPresent: report.blobsSkipped += 1
                }
            }
            func start(_ descriptor: Descriptor) {
                let data = created.blobs[descriptor.digest]
                group.addTask {
                    // putBlob checks for the blob itself; asking hasBlob first would check twice.
                    let content: (any ByteSource)? = data.map { DataByteSource($0) }
                    return try await destination.putBlob(descriptor, from: source, content: content)
                }
            }
            for _ in 0..<blobConcurrency {
                guard let next = pending.popFirst() else { break }
                start(next)
            }
            while let transfer = try await group.next() {
                record(transfer)
                if let next = pending.popFirst() { start(next) }
            }
        }
    }
}

/// Manifests and blobs a mutation made, which the source does not have.
struct CreatedContent: Sendable {
    var manifests: [Digest: ManifestData] = [:]
    var blobs: [Digest: Data] = [:]
}

/// The size ocibatch reports for an image or index, the same in `copy`, `inspect` and the audit.
public enum ImageSize {
    /// Config plus layers for an image (artifacts alike); for an index, the sum over its children of
    /// each child's own size: a nested manifest counted this way, any other child (a raw blob) by its
    /// descriptor's size. Layers that are not copied (non-distributable) still count. Reads the
    /// manifest tree from `source`, never the layers.
    public static func measure(_ root: ManifestData, in source: any ImageSource) async throws -> Int64 {
        var walk = TreeWalk(source: source, destination: nil, created: CreatedContent())
        return try await walk.visit(root, collect: false)
    }
}

/// Walks a manifest tree once: sizes (`ImageSize`), the blobs to send and the child manifests to write
/// (post-order).
struct TreeWalk {
    let source: any ImageSource
    /// Nil when only measuring; needed when collecting.
    let destination: (any ImageDestination)?
    let created: CreatedContent
    private(set) var blobs: [Descriptor] = []
    private(set) var manifests: [ManifestData] = []
    private(set) var manifestsSkipped = 0
    private var seenBlobs: Set<Digest> = []
    private var seenManifests: Set<Digest> = []

    init(source: any ImageSource, destination: (any ImageDestination)?, created: CreatedContent) {
        self.source = source
        self.destination = destination
        self.created = created
    }

    /// The seed size of `manifest`; with `collect`, also what must be written for it. `depth` counts
    /// the indexes above `manifest`.
    mutating func visit(_ manifest: ManifestData, collect: Bool, depth: Int = 0) async throws -> Int64 {
        let document: ManifestDocument
        do {
            document = try manifest.document()
        } catch let error as OCIError {
            throw TransportError.invalid("\(source.displayName): manifest \(manifest.digest): \(error.message)")
        }
        switch document {
        case .image(let image):
            if collect {
                for blob in [image.config] + image.layers where !blob.mediaType.isNonDistributable {
                    addBlob(blob)
                }
            }
            return image.contentSize
        case .index(let index):
            guard depth < ContentLimits.maxIndexDepth else {
                throw TransportError.invalid(
                    "\(source.displayName): indexes are nested more than \(ContentLimits.maxIndexDepth) deep")
            }
            var total: Int64 = 0
            for child in index.manifests {
                guard child.mediaType.isManifest else {
                    // Artifacts and other non-image children travel as the blobs they are.
                    if collect { addBlob(child) }
                    total += child.size
                    continue
                }
                let data = try await childManifest(child)
                var present = true
                if collect, let destination { present = try await destination.hasManifest(child.digest) }
                total += try await visit(data, collect: collect && !present, depth: depth + 1)
                guard collect, seenManifests.insert(child.digest).inserted else { continue }
                if present { manifestsSkipped += 1 } else { manifests.append(data) }
            }
            return total
        }
    }

    private mutating func addBlob(_ descriptor: Descriptor) {
        if seenBlobs.insert(descriptor.digest).inserted { blobs.append(descriptor) }
    }

    /// A child manifest from the mutation's output or the source, checked against its descriptor; the
    /// descriptor's media type is kept when the document does not state one.
    private func childManifest(_ child: Descriptor) async throws -> ManifestData {
        let fetched: ManifestData
        if let made = created.manifests[child.digest] {
            fetched = made
        } else {
            fetched = try await source.manifest(.digest(child.digest))
        }
        guard fetched.digest == child.digest, fetched.size == child.size else {
            throw TransportError.invalid(
                "\(source.displayName): manifest \(child.digest) has \(fetched.size) bytes and digest \(fetched.digest), but its index says \(child.size) bytes"
            )
        }
        let mediaType: MediaType
        do {
            mediaType = try ManifestDocument.parse(fetched.bytes, declaredMediaType: child.mediaType).mediaType
        } catch let error as OCIError {
            throw TransportError.invalid("\(source.displayName): manifest \(child.digest): \(error.message)")
        }
        return ManifestData(bytes: fetched.bytes, mediaType: mediaType, digest: fetched.digest)
    }
}
