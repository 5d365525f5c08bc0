import Foundation

/// A reference to content by media type, digest and size, as it appears in manifests and indexes.
///
/// The typed fields are read from `json`, which is kept whole: fields ocibatch does not know
/// survive re-encoding, in their original order.
public struct Descriptor: Hashable, Sendable {
    public let mediaType: MediaType
    public let digest: Digest
    public let size: Int64
    public let urls: [String]?
    public let annotations: [String: String]?
    public let platform: Platform?
    public let artifactType: MediaType?
    /// Embedded content (base64 in JSON), decoded.
    public let data: Data?
    /// The object this descriptor was read from (or built as), unknown fields included.
    public let json: JSONObject

    public init(
        mediaType: MediaType,
        digest: Digest,
        size: Int64,
        urls: [String]? = nil,
        annotations: [String: String]? = nil,
        platform: Platform? = nil,
        artifactType: MediaType? = nil,
        data: Data? = nil
    ) {
        var json: JSONObject = [
            "mediaType": .string(mediaType.rawValue), "digest": .string(digest.description), "size": .integer(size),
        ]
        if let urls { json["urls"] = .array(urls.map(JSONValue.string)) }
        if let annotations {
            var map = JSONObject()
            map.merge(strings: annotations)
            json["annotations"] = .object(map)
        }
        if let data { json["data"] = .string(data.base64EncodedString()) }
        if let platform { json["platform"] = .object(platform.json) }
        if let artifactType { json["artifactType"] = .string(artifactType.rawValue) }
        self.init(
            mediaType: mediaType, digest: digest, size: size, urls: urls, annotations: annotations,
            platform: platform, artifactType: artifactType, data: data, json: json)
    }

    /// Reads a descriptor object; `subject` names where it came from in errors ("layer 2 of …").
    public init(json value: JSONValue, subject: String = "descriptor") throws {
        guard let json = value.objectValue else { throw OCIError(.invalidManifest, "\(subject) is not an object") }
        let reader = FieldReader(json, subject: subject, kind: .invalidManifest)
        mediaType = MediaType(try reader.requiredString("mediaType"))
        guard let digest = try reader.optionalDigest("digest") else { throw reader.problem("digest", "is missing") }
        self.digest = digest
        guard let size = try reader.optionalInteger("size") else { throw reader.problem("size", "is missing") }
        guard size >= 0 else { throw reader.problem("size", "must not be negative") }
        self.size = size
        urls = try reader.optionalStrings("urls")
        annotations = try reader.optionalStringMap("annotations")
        if let platformValue = json["platform"], !platformValue.isNull {
            platform = try Platform(json: platformValue, subject: "\(subject): platform")
        } else {
            platform = nil
        }
        artifactType = try reader.optionalString("artifactType").map(MediaType.init(rawValue:))
        if let encoded = try reader.optionalString("data") {
            guard let decoded = Data(base64Encoded: encoded) else { throw reader.problem("data", "is not base64") }
            data = decoded
        } else {
            data = nil
        }
        self.json = json
    }

    public var jsonValue: JSONValue { .object(json) }

    /// Annotation buildx puts on an index entry that is not an image but facts about one.
    public static let dockerReferenceTypeAnnotation = "vnd.docker.reference.type"

    /// True for an index entry that buildx wrote as an attestation (provenance, SBOM): annotated as
    /// `attestation-manifest`, or with the platform `unknown/unknown` buildx gives them. Such entries
    /// are not images even though their config has an image config media type.
    public var isAttestation: Bool {
        if annotations?[Self.dockerReferenceTypeAnnotation] == "attestation-manifest" { return true }
        return platform?.os == "unknown" && platform?.architecture == "unknown"
    }

    /// The same descriptor pointing at other content: only `digest` and `size` change, in place.
    /// Embedded `data` no longer matches and is dropped.
    public func pointing(to digest: Digest, size: Int64) -> Descriptor {
        var json = self.json
        json["digest"] = .string(digest.description)
        json["size"] = .integer(size)
        json["data"] = nil
        return Descriptor(
            mediaType: mediaType, digest: digest, size: size, urls: urls, annotations: annotations,
            platform: platform, artifactType: artifactType, data: nil, json: json)
    }

    private init(
        mediaType: MediaType, digest: Digest, size: Int64, urls: [String]?, annotations: [String: String]?,
        platform: Platform?, artifactType: MediaType?, data: Data?, json: JSONObject
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.urls = urls
        self.annotations = annotations
        self.platform = platform
        self.artifactType = artifactType
        self.data = data
        self.json = json
    }
}
