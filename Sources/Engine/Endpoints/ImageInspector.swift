import ByteStreams
import Foundation
import ImageTransports
import OCI

/// What `inspect` shows of one image or index.
public struct ImageSummary: Sendable {
    /// One platform image (or the image itself when the root is not an index).
    public struct PlatformImage: Sendable {
        public let platform: String
        public let digest: Digest
        public let mediaType: MediaType
        /// Config plus layers, as declared in the manifest.
        public let size: Int64
        public let labels: [String: String]
        public let annotations: [String: String]
    }

    public let digest: Digest
    public let mediaType: MediaType
    /// Config plus layers for an image; the sum over its images for an index.
    public let size: Int64
    public let annotations: [String: String]
    public let images: [PlatformImage]
    /// Children that are not images (attestations, signatures, other artifacts), by digest.
    public let otherChildren: [Descriptor]
    public let rawManifest: Data
}

/// Reads an image's manifest tree (never its layers) and summarises it.
public struct ImageInspector: Sendable {
    public init() {}

    public func inspect(_ source: any ImageSource) async throws -> ImageSummary {
        let root = try await source.rootManifest()
        var images: [ImageSummary.PlatformImage] = []
        var others: [Descriptor] = []
        try await collect(root, platform: nil, depth: 0, from: source, into: &images, others: &others)
        let document = try root.document()
        return ImageSummary(
            digest: root.digest, mediaType: root.mediaType, size: try await ImageSize.measure(root, in: source),
            annotations: document.annotations ?? [:], images: images, otherChildren: others, rawManifest: root.bytes)
    }

    private func collect(
        _ manifest: ManifestData, platform: Platform?, depth: Int, from source: any ImageSource,
        into images: inout [ImageSummary.PlatformImage], others: inout [Descriptor]
    ) async throws {
        guard depth <= ImageMutation.maxIndexDepth else {
            throw EndpointError(
                "\(source.displayName): indexes are nested more than \(ImageMutation.maxIndexDepth) deep")
        }
        switch try manifest.document() {
        case .index(let index):
            for child in index.manifests {
                guard child.mediaType.isManifest, !child.isAttestation else {
                    others.append(child)
                    continue
                }
                let data = try await source.manifest(.digest(child.digest))
                try await collect(
                    data, platform: child.platform, depth: depth + 1, from: source, into: &images, others: &others)
            }
        case .image(let image):
            guard image.config.mediaType.isConfig else {
                others.append(manifest.descriptor)
                return
            }
            let configBytes = try await source.blob(image.config).readAll(limit: ContentLimits.configBytes)
            let config = try ImageConfig(bytes: configBytes)
            images.append(
                ImageSummary.PlatformImage(
                    platform: (platform ?? config.platform)?.description ?? "unknown",
                    digest: manifest.digest, mediaType: manifest.mediaType, size: image.contentSize,
                    labels: config.labels, annotations: image.annotations ?? [:]))
        }
    }
}
