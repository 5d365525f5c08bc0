import Foundation

/// An image manifest (OCI or Docker schema 2): its exact bytes and what they say.
public struct ImageManifest: Hashable, Sendable {
    /// The bytes as read; `digest` is their SHA-256.
    public let bytes: Data
    public let json: JSONObject
    /// The `mediaType` field, or the type it was declared or classified as when the field is absent.
    public let mediaType: MediaType
    public let digest: Digest
    public let config: Descriptor
    public let layers: [Descriptor]
    public let annotations: [String: String]?
    public let subject: Descriptor?
    public let artifactType: MediaType?

    /// Parses manifest bytes; `mediaType` is used when the document has no `mediaType` field.
    public init(bytes: Data, mediaType: MediaType? = nil) throws {
        let json = try ManifestEnvelope.parseObject(bytes, subject: "image manifest")
        try self.init(bytes: bytes, json: json, fallbackMediaType: mediaType)
    }

    /// Encodes `json` compactly and reads the result: how a changed manifest is made.
    public init(encoding json: JSONObject, mediaType: MediaType? = nil) throws {
        try self.init(bytes: json.encoded(), json: json, fallbackMediaType: mediaType)
    }

    init(bytes: Data, json: JSONObject, fallbackMediaType: MediaType?) throws {
        let digest = Digest.sha256(bytes)
        let subjectName = "image manifest \(digest)"
        let reader = FieldReader(json, subject: subjectName, kind: .invalidManifest)
        let envelope = try ManifestEnvelope(
            reader, fallback: fallbackMediaType, standard: .ociManifest, kindName: "an image manifest",
            accepts: \.isImageManifest)
        mediaType = envelope.mediaType
        annotations = envelope.annotations
        subject = envelope.subject
        artifactType = envelope.artifactType
        guard let configValue = json["config"] else { throw reader.problem("config", "is missing") }
        config = try Descriptor(json: configValue, subject: "\(subjectName): config")
        guard let layerValues = try reader.optionalArray("layers") else { throw reader.problem("layers", "is missing") }
        layers = try layerValues.enumerated().map { index, value in
            try Descriptor(json: value, subject: "\(subjectName): layer \(index)")
        }
        self.bytes = bytes
        self.json = json
        self.digest = digest
    }

    /// Size of the manifest bytes.
    public var size: Int64 { Int64(bytes.count) }

    /// Config plus layer sizes: the size the seed reports for a pushed image.
    public var contentSize: Int64 { layers.reduce(config.size) { $0 + $1.size } }

    /// True for artifacts (signatures, SBOMs, …) whose config is not an image config.
    public var isArtifact: Bool { !config.mediaType.isConfig }

    /// A descriptor for this manifest with media type, digest and size.
    public var descriptor: Descriptor { Descriptor(mediaType: mediaType, digest: digest, size: size) }
}
