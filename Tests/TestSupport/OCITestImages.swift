import Foundation
import OCI

/// A generated image or index: the root manifest plus every blob and child manifest it needs.
public struct OCITestImage: Sendable {
    /// Bytes of the root manifest or index.
    public let rootBytes: Data
    public let rootMediaType: MediaType
    public var rootDigest: Digest { Digest.sha256(rootBytes) }
    /// Descriptor of the root (media type, digest, size), e.g. for an `index.json` entry.
    public var rootDescriptor: Descriptor {
        Descriptor(mediaType: rootMediaType, digest: rootDigest, size: Int64(rootBytes.count))
    }
    /// Configs and layers by digest.
    public let blobs: [Digest: Data]
    /// Child manifests (and nested indexes) of an index, children before parents; empty for an image.
    public let childManifests: [(descriptor: Descriptor, bytes: Data)]

    /// Everything a layout's `blobs/sha256/` holds: blobs, child manifests and the root.
    public var allContent: [Digest: Data] {
        var content = blobs
        for child in childManifests { content[child.descriptor.digest] = child.bytes }
        content[rootDigest] = rootBytes
        return content
    }

    /// The size ocibatch reports (`ImageSize`): config plus layers for an image; for an index, the sum
    /// of each child's own size (nested manifests counted the same way, other children by descriptor).
    public var reportedSize: Int64 {
        get throws { try Self.size(of: rootBytes, mediaType: rootMediaType, content: allContent) }
    }

    private static func size(of bytes: Data, mediaType: MediaType?, content: [Digest: Data]) throws -> Int64 {
        switch try ManifestDocument.parse(bytes, declaredMediaType: mediaType) {
        case .image(let manifest):
            return manifest.contentSize
        case .index(let index):
            return try index.manifests.reduce(0) { total, child in
                guard child.mediaType.isManifest, let childBytes = content[child.digest] else {
                    return total + child.size
                }
                return total + (try size(of: childBytes, mediaType: child.mediaType, content: content))
            }
        }
    }
}

/// Builds deterministic images in memory: same arguments, same bytes, same digests.
///
/// Layers are small uncompressed tar archives (one file of seeded pseudo-random bytes), so tools
/// that unpack them (skopeo, umoci) accept them; configs carry matching `diff_ids`.
public enum OCITestImages {
    public enum Flavor: Sendable {
        case oci
        case docker

        var manifest: MediaType { self == .oci ? .ociManifest : .dockerManifest }
        var index: MediaType { self == .oci ? .ociIndex : .dockerManifestList }
        var config: MediaType { self == .oci ? .ociConfig : .dockerConfig }
        /// Docker schema 2 has no plain-tar type; its gzip type is used for the raw tar there,
        /// which registries do not check.
        var layer: MediaType { self == .oci ? .ociLayerTar : .dockerLayerGzip }
    }

    /// A single-platform image with `layerCount` layers of about `layerSize` bytes each.
    public static func image(
        seed: UInt64 = 1,
        layerCount: Int = 2,
        layerSize: Int = 1_024,
        platform: Platform = Platform(architecture: "amd64", os: "linux"),
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        flavor: Flavor = .oci
    ) throws -> OCITestImage {
        var random = SeededRandom(seed: seed)
        var blobs: [Digest: Data] = [:]
        var layerDescriptors: [JSONValue] = []
        var diffIDs: [JSONValue] = []
        for index in 0..<layerCount {
            let layer = tarArchive(fileName: "layer-\(seed)-\(index).bin", contents: random.bytes(count: layerSize))
            let digest = Digest.sha256(layer)
            blobs[digest] = layer
            diffIDs.append(.string(digest.description))
            layerDescriptors.append(
                Descriptor(mediaType: flavor.layer, digest: digest, size: Int64(layer.count)).jsonValue)
        }
        var runConfig: JSONObject = [
            "Env": .array([.string("PATH=/usr/bin:/bin")]), "Cmd": .array([.string("/bin/sh")]),
        ]
        if !labels.isEmpty {
            var labelObject = JSONObject()
            labelObject.merge(strings: labels)
            runConfig["Labels"] = .object(labelObject)
        }
        var config: JSONObject = [
            "architecture": .string(platform.architecture),
            "created": .string("2024-01-01T00:00:00Z"),
            "os": .string(platform.os),
        ]
        if let variant = platform.variant { config["variant"] = .string(variant) }
        config["config"] = .object(runConfig)
        config["rootfs"] = .object(["type": .string("layers"), "diff_ids": .array(diffIDs)])
        let configBytes = config.encoded()
        let configDigest = Digest.sha256(configBytes)
        blobs[configDigest] = configBytes

        var manifest: JSONObject = [
            "schemaVersion": .integer(2),
            "mediaType": .string(flavor.manifest.rawValue),
            "config": Descriptor(mediaType: flavor.config, digest: configDigest, size: Int64(configBytes.count))
                .jsonValue,
            "layers": .array(layerDescriptors),
        ]
        if !annotations.isEmpty {
            var annotationObject = JSONObject()
            annotationObject.merge(strings: annotations)
            manifest["annotations"] = .object(annotationObject)
        }
        return OCITestImage(
            rootBytes: manifest.encoded(), rootMediaType: flavor.manifest, blobs: blobs, childManifests: [])
    }

    /// A multi-platform index with one image per platform (seeds `seed`, `seed + 1`, …).
    public static func index(
        seed: UInt64 = 1,
        platforms: [Platform] = [
            Platform(architecture: "amd64", os: "linux"), Platform(architecture: "arm64", os: "linux", variant: "v8"),
        ],
        layerCount: Int = 2,
        layerSize: Int = 1_024,
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        flavor: Flavor = .oci
    ) throws -> OCITestImage {
        let images = try platforms.enumerated().map { offset, platform in
            try image(
                seed: seed &+ UInt64(offset), layerCount: layerCount, layerSize: layerSize, platform: platform,
                labels: labels, flavor: flavor)
        }
        let children = zip(images, platforms).map { image, platform in
            (
                image,
                Descriptor(
                    mediaType: image.rootMediaType, digest: image.rootDigest, size: Int64(image.rootBytes.count),
                    platform: platform)
            )
        }
        return index(children: children, annotations: annotations, mediaType: flavor.index)
    }

    /// An index over already generated images or indexes (for nested indexes and artifacts).
    /// Each child's descriptor is used as given, so duplicates and unusual fields can be tested.
    public static func index(
        children: [(image: OCITestImage, descriptor: Descriptor)],
        annotations: [String: String] = [:],
        mediaType: MediaType = .ociIndex
    ) -> OCITestImage {
        var blobs: [Digest: Data] = [:]
        var childManifests: [(descriptor: Descriptor, bytes: Data)] = []
        var seen: Set<Digest> = []
        for child in children {
            blobs.merge(child.image.blobs) { first, _ in first }
            for grandchild in child.image.childManifests where seen.insert(grandchild.descriptor.digest).inserted {
                childManifests.append(grandchild)
            }
            if seen.insert(child.image.rootDigest).inserted {
                childManifests.append((child.image.rootDescriptor, child.image.rootBytes))
            }
        }
        var index: JSONObject = [
            "schemaVersion": .integer(2),
            "mediaType": .string(mediaType.rawValue),
            "manifests": .array(children.map { $0.descriptor.jsonValue }),
        ]
        if !annotations.isEmpty {
            var annotationObject = JSONObject()
            annotationObject.merge(strings: annotations)
            index["annotations"] = .object(annotationObject)
        }
        return OCITestImage(
            rootBytes: index.encoded(), rootMediaType: mediaType, blobs: blobs, childManifests: childManifests)
    }

    /// An artifact manifest (an SBOM-like blob with the empty config), for "non-image child" tests.
    public static func artifact(seed: UInt64 = 99, artifactType: MediaType = "application/vnd.example.sbom")
        -> OCITestImage
    {
        var random = SeededRandom(seed: seed)
        let payload = random.bytes(count: 64)
        let payloadDigest = Digest.sha256(payload)
        let empty = Data("{}".utf8)
        let manifest: JSONObject = [
            "schemaVersion": .integer(2),
            "mediaType": .string(MediaType.ociManifest.rawValue),
            "artifactType": .string(artifactType.rawValue),
            "config": Descriptor(mediaType: .ociEmpty, digest: .sha256(empty), size: 2).jsonValue,
            "layers": .array([
                Descriptor(mediaType: "application/octet-stream", digest: payloadDigest, size: 64).jsonValue
            ]),
        ]
        return OCITestImage(
            rootBytes: manifest.encoded(), rootMediaType: .ociManifest,
            blobs: [payloadDigest: payload, .sha256(empty): empty], childManifests: [])
    }

    /// Seeded pseudo-random bytes (SplitMix64), the same on every run and platform.
    public static func randomBytes(seed: UInt64, count: Int) -> Data {
        var random = SeededRandom(seed: seed)
        return random.bytes(count: count)
    }

    /// A ustar archive holding one regular file, with fixed owner and time so it is reproducible.
    public static func tarArchive(fileName: String, contents: Data) -> Data {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        }
        put(fileName, at: 0, width: 100)
        put(octal(0o644, width: 8), at: 100, width: 8)
        put(octal(0, width: 8), at: 108, width: 8)
        put(octal(0, width: 8), at: 116, width: 8)
        put(octal(contents.count, width: 12), at: 124, width: 12)
        put(octal(1_704_067_200, width: 12), at: 136, width: 12)
        put("        ", at: 148, width: 8)
        header[156] = UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        let checksum = header.reduce(0) { $0 + Int($1) }
        put(octal(checksum, width: 7), at: 148, width: 7)
        header[154] = 0
        header[155] = UInt8(ascii: " ")
        var archive = Data(header)
        archive.append(contents)
        let padding = (512 - contents.count % 512) % 512
        archive.append(Data(count: padding + 1_024))
        return archive
    }
}

/// SplitMix64: tiny, fast and fully determined by its seed.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    mutating func bytes(count: Int) -> Data {
        var result = Data(capacity: count)
        while result.count < count {
            var word = next()
            for _ in 0..<min(8, count - result.count) {
                result.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return result
    }
}
