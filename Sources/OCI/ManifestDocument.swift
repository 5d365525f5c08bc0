import Foundation

/// Whatever a manifest endpoint or layout descriptor points at: an image manifest or an index.
public enum ManifestDocument: Hashable, Sendable {
    case image(ImageManifest)
    case index(ImageIndex)

    /// Parses and classifies manifest bytes.
    ///
    /// The document's own `mediaType` wins; otherwise `declaredMediaType` (a Content-Type or a
    /// descriptor's type) when it names a manifest type; otherwise the structure decides:
    /// `manifests` means an index, `config` plus `layers` an image. Docker schema 1 is refused.
    public static func parse(_ bytes: Data, declaredMediaType: MediaType?) throws -> ManifestDocument {
        let json = try ManifestEnvelope.parseObject(bytes, subject: "manifest")
        let field = json["mediaType"]?.stringValue.map(MediaType.init(rawValue:))
        let isSchema1 =
            field?.isSchema1 == true || (field == nil && declaredMediaType?.isSchema1 == true)
            || json["schemaVersion"]?.numberValue?.int64Value == 1 || json["fsLayers"] != nil
        if isSchema1 {
            throw OCIError(
                .unsupportedMediaType,
                "manifest \(Digest.sha256(bytes)) is Docker schema 1, which is not supported; push it again with a current client"
            )
        }
        if let field, let declaredMediaType, declaredMediaType.isManifest, field.isManifest,
            field.isIndex != declaredMediaType.isIndex
        {
            throw OCIError(
                .invalidManifest,
                "manifest \(Digest.sha256(bytes)) says it is \(field) but was served as \(declaredMediaType)")
        }
        let declared = declaredMediaType.flatMap { $0.isManifest ? $0 : nil }
        let effective: MediaType
        if let field {
            effective = field
        } else if let declared {
            effective = declared
        } else if json["manifests"] != nil {
            effective = .ociIndex
        } else if json["config"] != nil && json["layers"] != nil {
            effective = .ociManifest
        } else {
            throw OCIError(
                .invalidManifest,
                "manifest \(Digest.sha256(bytes)) has no mediaType and neither \"manifests\" nor \"config\" and \"layers\""
            )
        }
        if effective.isIndex { return .index(try ImageIndex(bytes: bytes, json: json, fallbackMediaType: effective)) }
        if effective.isImageManifest {
            return .image(try ImageManifest(bytes: bytes, json: json, fallbackMediaType: effective))
        }
        throw OCIError(
            .unsupportedMediaType, "manifest \(Digest.sha256(bytes)) has unsupported media type \(effective)")
    }

    public var bytes: Data {
        switch self {
        case .image(let manifest): manifest.bytes
        case .index(let index): index.bytes
        }
    }

    public var json: JSONObject {
        switch self {
        case .image(let manifest): manifest.json
        case .index(let index): index.json
        }
    }

    public var mediaType: MediaType {
        switch self {
        case .image(let manifest): manifest.mediaType
        case .index(let index): index.mediaType
        }
    }

    public var digest: Digest {
        switch self {
        case .image(let manifest): manifest.digest
        case .index(let index): index.digest
        }
    }

    public var annotations: [String: String]? {
        switch self {
        case .image(let manifest): manifest.annotations
        case .index(let index): index.annotations
        }
    }

    /// Size of the manifest bytes.
    public var size: Int64 { Int64(bytes.count) }

    public var descriptor: Descriptor { Descriptor(mediaType: mediaType, digest: digest, size: size) }
}
