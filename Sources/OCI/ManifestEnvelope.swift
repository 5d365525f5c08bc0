import Foundation

/// The fields image manifests and indexes share, read and checked the same way for both.
struct ManifestEnvelope {
    let mediaType: MediaType
    let annotations: [String: String]?
    let subject: Descriptor?
    let artifactType: MediaType?

    /// Parses manifest-sized JSON that must be an object.
    static func parseObject(_ bytes: Data, subject: String) throws -> JSONObject {
        let value = try JSONValue.parse(
            bytes, limits: JSONLimits(maxBytes: ContentLimits.manifestBytes, maxDepth: ContentLimits.jsonDepth),
            subject: subject)
        guard let json = value.objectValue else { throw OCIError(.invalidManifest, "\(subject) is not a JSON object") }
        return json
    }

    /// Reads the shared fields; the media type is the document's own, else `fallback`, else `standard`,
    /// and must satisfy `accepts`.
    init(
        _ reader: FieldReader, fallback: MediaType?, standard: MediaType, kindName: String,
        accepts: (MediaType) -> Bool
    ) throws {
        let declared = try reader.optionalString("mediaType").map(MediaType.init(rawValue:))
        mediaType = declared ?? fallback ?? standard
        guard accepts(mediaType) else {
            throw OCIError(.unsupportedMediaType, "\(reader.subject) has media type \(mediaType), not \(kindName)")
        }
        if let version = try reader.optionalInteger("schemaVersion"), version != 2 {
            throw OCIError(
                .unsupportedMediaType, "\(reader.subject) has schemaVersion \(version); only 2 is supported")
        }
        annotations = try reader.optionalStringMap("annotations")
        subject = try reader.optionalDescriptor("subject")
        artifactType = try reader.optionalString("artifactType").map(MediaType.init(rawValue:))
    }
}
