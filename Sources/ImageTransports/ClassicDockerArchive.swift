import Foundation
import OCI

/// An image of a classic docker-save tarball, with the manifest made for it.
struct SynthesizedImage: Sendable {
    let manifest: ManifestData
    let config: Data
    let configDigest: Digest
    /// The tar entry holding each layer, by the layer's digest.
    let layerEntries: [Digest: String]
}

/// A classic docker-save tarball: `manifest.json` lists images as config and layer file names.
struct ClassicDockerArchive: Sendable {
    struct Image: Sendable {
        let repoTags: [String]
        let config: String
        let layers: [String]
        /// Descriptors for foreign layers, by diff ID, used verbatim.
        let layerSources: [String: Descriptor]
    }

    /// The layer media type in the synthesised OCI manifest, by compression. An uncompressed layer
    /// keeps its bytes (and so its digest, which is also its diff ID) under the plain tar type, where
    /// the seed gzipped it on the fly, giving digests that depend on the gzip implementation.
    static func layerMediaType(_ compression: LayerCompression) -> MediaType {
        switch compression {
        case .gzip: .ociLayerTarGzip
        case .zstd: .ociLayerTarZstd
        case .none: .ociLayerTar
        }
    }

    /// A foreign layer listed in `LayerSources` keeps its descriptor, under the OCI type for it.
    static func foreignLayer(_ descriptor: Descriptor) -> Descriptor {
        guard descriptor.mediaType == .dockerForeignLayerGzip else { return descriptor }
        var json = descriptor.json
        json["mediaType"] = .string(MediaType.ociNonDistributableLayerTarGzip.rawValue)
        return (try? Descriptor(json: .object(json))) ?? descriptor
    }

    let archive: TarArchive
    let images: [Image]

    init(archive: TarArchive) throws {
        self.archive = archive
        let file = "\(archive.path): manifest.json"
        let bytes = try archive.read("manifest.json", limit: ContentLimits.manifestBytes)
        let value = try LayoutReader.withContext(archive.path) {
            try JSONValue.parse(
                bytes, limits: JSONLimits(maxBytes: ContentLimits.manifestBytes, maxDepth: ContentLimits.jsonDepth),
                subject: "manifest.json")
        }
        guard let entries = value.arrayValue else { throw TransportError.invalid("\(file) is not a JSON array") }
        images = try entries.enumerated().map { position, entry in
            let subject = "\(file): image \(position)"
            guard let object = entry.objectValue else { throw TransportError.invalid("\(subject) is not an object") }
            guard let config = object["Config"]?.stringValue else {
                throw TransportError.invalid("\(subject) has no \"Config\" file name")
            }
            guard let layerValues = object["Layers"]?.arrayValue else {
                throw TransportError.invalid("\(subject) has no \"Layers\" list")
            }
            let layers = try layerValues.map { layer in
                guard let name = layer.stringValue else {
                    throw TransportError.invalid("\(subject) has a layer name that is not a string")
                }
                return try TarPath.normalize(name, archive: archive.path)
            }
            var sources: [String: Descriptor] = [:]
            for member in object["LayerSources"]?.objectValue ?? JSONObject() {
                sources[member.key] = try LayoutReader.withContext(subject) {
                    try Descriptor(json: member.value, subject: "LayerSources \(member.key)")
                }
            }
            return Image(
                repoTags: object["RepoTags"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                config: try TarPath.normalize(config, archive: archive.path), layers: layers, layerSources: sources)
        }
    }

    var tags: [String] { Array(Set(images.flatMap(\.repoTags))).sorted() }

    private var tagList: String {
        let tags = tags
        return tags.isEmpty ? "none" : tags.joined(separator: ", ")
    }

    /// The image named by `tag` (a bare tag, `name:tag` or a full reference, matched as
    /// `ImageNameSelection` describes), or the only image when `tag` is nil.
    func image(tag: String?) throws -> Image {
        guard let tag else {
            guard images.count == 1 else {
                throw TransportError.invalid(
                    "\(archive.path): manifest.json lists \(images.count) images; choose one by tag (tags: \(tagList))")
            }
            return images[0]
        }
        let chosen = try ImageNameSelection.choose(
            tag, among: images, names: \.repoTags, identity: { [$0.config] + $0.layers },
            container: "\(archive.path): manifest.json")
        guard let chosen else {
            throw TransportError.invalid("\(archive.path): no image is named \"\(tag)\" (tags: \(tagList))")
        }
        return chosen
    }

    /// Reads and checks the config, hashes each layer in one pass over the tarball, and builds an OCI
    /// manifest: the tarball has no manifest whose digest could be kept, and OCI types are the ones
    /// every layout reader (skopeo, umoci) accepts in `index.json`. A config that is not a valid image
    /// config is refused here, before anything is written.
    func synthesize(_ image: Image) throws -> SynthesizedImage {
        let config = try archive.read(image.config, limit: ContentLimits.configBytes)
        let configDigest = Digest.sha256(config)
        let parsed = try LayoutReader.withContext("\(archive.path): \(image.config)") { try ImageConfig(bytes: config) }
        let diffIDs = parsed.diffIDs.map(\.description)
        let entries = try image.layers.map { try archive.resolve($0).name }
        let hashed = try hashEntries(Set(entries))
        var layerEntries: [Digest: String] = [:]
        var layers: [JSONValue] = []
        for (position, entry) in entries.enumerated() {
            if position < diffIDs.count, let foreign = image.layerSources[diffIDs[position]] {
                layers.append(Self.foreignLayer(foreign).jsonValue)
                layerEntries[foreign.digest] = entry
                continue
            }
            guard let facts = hashed[entry] else {
                throw TransportError.invalid("\(archive.path): layer \(entry) could not be read")
            }
            let mediaType = Self.layerMediaType(
                try LayerCompression.detect(facts.prefix, layer: "\(archive.path): \(entry)"))
            layers.append(Self.descriptorJSON(mediaType: mediaType, size: facts.size, digest: facts.digest))
            layerEntries[facts.digest] = entry
        }
        let manifest: JSONObject = [
            "schemaVersion": .integer(2),
            "mediaType": .string(MediaType.ociManifest.rawValue),
            "config": Self.descriptorJSON(mediaType: .ociConfig, size: Int64(config.count), digest: configDigest),
            "layers": .array(layers),
        ]
        return SynthesizedImage(
            manifest: ManifestData(bytes: manifest.encoded(), mediaType: .ociManifest),
            config: config, configDigest: configDigest, layerEntries: layerEntries)
    }

    /// Fields in the order Go tools write them, so the digest matches theirs.
    private static func descriptorJSON(mediaType: MediaType, size: Int64, digest: Digest) -> JSONValue {
        .object([
            "mediaType": .string(mediaType.rawValue), "size": .integer(size), "digest": .string(digest.description),
        ])
    }

    private struct EntryFacts {
        let digest: Digest
        let size: Int64
        /// The first bytes, for detecting compression.
        let prefix: Data
    }

    private func hashEntries(_ names: Set<String>) throws -> [String: EntryFacts] {
        var facts: [String: EntryFacts] = [:]
        guard !names.isEmpty else { return facts }
        let reader = try ArchiveReader(path: archive.path)
        while facts.count < names.count, let entry = try reader.nextEntry() {
            guard names.contains(entry.name), facts[entry.name] == nil, entry.kind == .file else { continue }
            let hasher = SHA256Hasher()
            var prefix = Data()
            var size: Int64 = 0
            while let chunk = try reader.readChunk(maximum: 1 << 20) {
                if prefix.count < 16 { prefix.append(chunk.prefix(16 - prefix.count)) }
                hasher.update(chunk)
                size += Int64(chunk.count)
            }
            facts[entry.name] = EntryFacts(digest: hasher.finalize(), size: size, prefix: prefix)
        }
        return facts
    }
}
