import Foundation

/// A media type string with the names ocibatch knows about as constants.
public struct MediaType: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    // OCI image spec
    public static let ociManifest: MediaType = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex: MediaType = "application/vnd.oci.image.index.v1+json"
    public static let ociConfig: MediaType = "application/vnd.oci.image.config.v1+json"
    public static let ociLayerTar: MediaType = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerTarGzip: MediaType = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerTarZstd: MediaType = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociNonDistributableLayerTar: MediaType =
        "application/vnd.oci.image.layer.nondistributable.v1.tar"
    public static let ociNonDistributableLayerTarGzip: MediaType =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    public static let ociNonDistributableLayerTarZstd: MediaType =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
    /// The `{}` blob used as config of artifacts.
    public static let ociEmpty: MediaType = "application/vnd.oci.empty.v1+json"

    // Docker
    public static let dockerManifest: MediaType = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList: MediaType = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig: MediaType = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip: MediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerForeignLayerGzip: MediaType =
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    public static let dockerSchema1: MediaType = "application/vnd.docker.distribution.manifest.v1+json"
    public static let dockerSchema1Signed: MediaType = "application/vnd.docker.distribution.manifest.v1+prettyjws"

    /// OCI image manifest or Docker schema 2 manifest.
    public var isImageManifest: Bool { self == .ociManifest || self == .dockerManifest }
    /// OCI index or Docker manifest list.
    public var isIndex: Bool { self == .ociIndex || self == .dockerManifestList }
    /// Docker schema 1 (signed or not): recognised only to be refused.
    public var isSchema1: Bool { self == .dockerSchema1 || self == .dockerSchema1Signed }
    /// Image or index: something a manifest endpoint serves and ocibatch handles.
    public var isManifest: Bool { isImageManifest || isIndex }
    /// An image configuration (not an artifact's config).
    public var isConfig: Bool { self == .ociConfig || self == .dockerConfig }
    /// Layers that registries may refuse to store and that are fetched from their `urls`.
    public var isNonDistributable: Bool {
        self == .ociNonDistributableLayerTar || self == .ociNonDistributableLayerTarGzip
            || self == .ociNonDistributableLayerTarZstd || self == .dockerForeignLayerGzip
    }
}
