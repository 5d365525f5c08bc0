import ByteStreams
import Foundation
import OCI

/// How a manifest is asked for: by tag, or by the digest of its bytes.
public enum ManifestReference: Hashable, Sendable, CustomStringConvertible {
    case tag(String)
    case digest(Digest)

    public var description: String {
        switch self {
        case .tag(let tag): "tag \"\(tag)\""
        case .digest(let digest): "digest \(digest)"
        }
    }
}

/// A manifest (image or index) exactly as stored: its bytes, media type and the digest of the bytes.
public struct ManifestData: Hashable, Sendable {
    public let bytes: Data
    public let mediaType: MediaType
    public let digest: Digest

    /// Takes the digest of `bytes`.
    public init(bytes: Data, mediaType: MediaType) {
        self.init(bytes: bytes, mediaType: mediaType, digest: Digest.sha256(bytes))
    }

    public init(bytes: Data, mediaType: MediaType, digest: Digest) {
        self.bytes = bytes
        self.mediaType = mediaType
        self.digest = digest
    }

    public var size: Int64 { Int64(bytes.count) }

    /// A descriptor of these bytes, as a parent index or a layout's `index.json` lists them.
    public var descriptor: Descriptor { Descriptor(mediaType: mediaType, digest: digest, size: size) }

    /// Parses and classifies the bytes; the media type recorded here wins when the document has none.
    public func document() throws -> ManifestDocument {
        try ManifestDocument.parse(bytes, declaredMediaType: mediaType)
    }
}

/// Where images are read from: a registry repository, an OCI layout, a docker-save tarball.
///
/// Every transport offers the same four things, so copy, relabel and import are one piece of code
/// whatever the ends are (the design containers/image uses for skopeo).
public protocol ImageSource: Sendable {
    /// Names the source in messages and reports (`oci:/tmp/layout:v1`).
    var displayName: String { get }
    /// The tags the source holds, sorted.
    func listTags() async throws -> [String]
    /// The manifest the source was opened at: its tag or digest, or the single image it holds.
    func rootManifest() async throws -> ManifestData
    /// A manifest by tag or digest. Bytes fetched by digest are checked against it.
    func manifest(_ reference: ManifestReference) async throws -> ManifestData
    /// A blob's bytes as a stream, checked against the descriptor's digest and size while read.
    func blob(_ descriptor: Descriptor) async throws -> any ByteSource
}
