import Foundation

/// An image index (OCI index or Docker manifest list): its exact bytes and what they say.
public struct ImageIndex: Hashable, Sendable {
    /// The bytes as read; `digest` is their SHA-256.
    public let bytes: Data
    public let json: JSONObject
    /// The `mediaType` field, or the type it was declared or classified as when the field is absent.
    public let mediaType: MediaType
    public let digest: Digest
    public let manifests: [Descriptor]
    public let annotations: [String: String]?
    public let subject: Descriptor?
    public let artifactType: MediaType?

    /// Parses index bytes; `mediaType` is used when the document has no `mediaType` field.
    public init(bytes: Data, mediaType: MediaType? = nil) throws {
        let json = try ManifestEnvelope.parseObject(bytes, subject: "image index")
        try self.init(bytes: bytes, json: json, fallbackMediaType: mediaType)
    }

    /// Encodes `json` compactly and reads the result: how a changed index is made.
    public init(encoding json: JSONObject, mediaType: MediaType? = nil) throws {
        try self.init(bytes: json.encoded(), json: json, fallbackMediaType: mediaType)
    }

    init(bytes: Data, json: JSONObject, fallbackMediaType: MediaType?) throws {
        let digest = Digest.sha256(bytes)
        let subjectName = "image index \(digest)"
        let reader = FieldReader(json, subject: subjectName, kind: .invalidManifest)
        let envelope = try ManifestEnvelope(
            reader, fallback: fallbackMediaType, standard: .ociIndex, kindName: "an index", accepts: \.isIndex)
        mediaType = envelope.mediaType
        annotations = envelope.annotations
        subject = envelope.subject
        artifactType = envelope.artifactType
        guard let values = try reader.optionalArray("manifests") else {
            throw reader.problem("manifests", "is missing")
        }
        manifests = try values.enumerated().map { index, value in
            try Descriptor(json: value, subject: "\(subjectName): manifest \(index)")
        }
        self.bytes = bytes
        self.json = json
        self.digest = digest
    }

    /// Size of the index bytes.
    public var size: Int64 { Int64(bytes.count) }

    /// A descriptor for this index with media type, digest and size.
    public var descriptor: Descriptor { Descriptor(mediaType: mediaType, digest: digest, size: size) }
}
