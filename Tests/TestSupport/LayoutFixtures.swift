import Foundation
import OCI

/// Writes generated images to disk the way other tools do: OCI layouts and docker-save tarballs.
public enum LayoutFixtures {
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"

    /// An `index.json` entry: the image it points at, the tag (ref name) it carries, if any, and
    /// other annotations (Docker's `io.containerd.image.name`, for instance).
    public struct Entry: Sendable {
        public var image: OCITestImage
        public var refName: String?
        public var annotations: [String: String]

        public init(_ image: OCITestImage, refName: String? = nil, annotations: [String: String] = [:]) {
            self.image = image
            self.refName = refName
            self.annotations = annotations
        }
    }

    /// Writes an OCI layout: every blob and manifest under `blobs/sha256/`, `oci-layout`, and an
    /// `index.json` listing the entries in order.
    public static func writeLayout(_ entries: [Entry], to directory: String) throws {
        for entry in entries {
            for (digest, data) in entry.image.allContent { try writeBlob(data, digest: digest, layout: directory) }
        }
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: directory + "/oci-layout"))
        try indexJSON(entries).write(to: URL(fileURLWithPath: directory + "/index.json"))
    }

    /// Writes one blob as `blobs/<algorithm>/<hex>`, creating the folders.
    public static func writeBlob(_ data: Data, digest: Digest, layout directory: String) throws {
        let folder = "\(directory)/blobs/\(digest.algorithm)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: "\(folder)/\(digest.encoded)"))
    }

    /// The path of a blob in a layout.
    public static func blobPath(_ digest: Digest, layout directory: String) -> String {
        "\(directory)/blobs/\(digest.algorithm)/\(digest.encoded)"
    }

    /// An `index.json` for the entries (no mediaType field, as many tools write it).
    public static func indexJSON(_ entries: [Entry]) -> Data {
        let manifests: [JSONValue] = entries.map { entry in
            var descriptor = entry.image.rootDescriptor.json
            var annotations = entry.annotations
            if let refName = entry.refName { annotations[refNameAnnotation] = refName }
            if !annotations.isEmpty {
                var object = JSONObject()
                object.merge(strings: annotations)
                descriptor["annotations"] = .object(object)
            }
            return .object(descriptor)
        }
        let index: JSONObject = ["schemaVersion": .integer(2), "manifests": .array(manifests)]
        return index.encoded()
    }

    /// The same image with its root manifest pretty-printed (other bytes, so another digest).
    public static func prettyPrinted(_ image: OCITestImage) throws -> OCITestImage {
        let object = try JSONSerialization.jsonObject(with: image.rootBytes)
        let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return OCITestImage(
            rootBytes: pretty + Data("\n".utf8), rootMediaType: image.rootMediaType, blobs: image.blobs,
            childManifests: image.childManifests)
    }

    /// One image of a classic docker-save tarball.
    public struct SavedImage: Sendable {
        public var image: OCITestImage
        public var repoTags: [String]

        public init(_ image: OCITestImage, repoTags: [String]) {
            self.image = image
            self.repoTags = repoTags
        }
    }

    /// A classic `docker save` tarball: `<config hex>.json`, `<n>/layer.tar` per layer, and
    /// `manifest.json` (written last, as Docker does). `transformLayer` may replace a layer's bytes
    /// (compress it, for instance); the manifest then lists the replaced bytes.
    public static func dockerSaveClassic(
        _ images: [SavedImage], transformLayer: (Data) throws -> Data = { $0 }
    ) throws -> Data {
        var tar = ArchiveTarWriter()
        var manifest: [JSONValue] = []
        var written: Set<String> = []
        for saved in images {
            let document = try ImageManifest(bytes: saved.image.rootBytes)
            let configName = "\(document.config.digest.encoded).json"
            if written.insert(configName).inserted, let config = saved.image.blobs[document.config.digest] {
                tar.addFile(configName, config)
            }
            var layerNames: [JSONValue] = []
            for layer in document.layers {
                let folder = String(layer.digest.encoded.prefix(16))
                let name = "\(folder)/layer.tar"
                if written.insert(name).inserted, let bytes = saved.image.blobs[layer.digest] {
                    tar.add("\(folder)/", .directory)
                    tar.addFile(name, try transformLayer(bytes))
                }
                layerNames.append(.string(name))
            }
            manifest.append(
                .object([
                    "Config": .string(configName),
                    "RepoTags": .array(saved.repoTags.map(JSONValue.string)),
                    "Layers": .array(layerNames),
                ]))
        }
        tar.addFile("manifest.json", JSONValue.array(manifest).encoded())
        return tar.finished()
    }

    /// A Docker 25+ `docker save` tarball: an OCI layout (`oci-layout`, `index.json`, `blobs/`) inside.
    public static func dockerSaveOCI(_ entries: [Entry]) -> Data {
        var tar = ArchiveTarWriter()
        tar.addFile("oci-layout", #"{"imageLayoutVersion":"1.0.0"}"#)
        var written: Set<Digest> = []
        for entry in entries {
            for (digest, data) in entry.image.allContent.sorted(by: { $0.key < $1.key })
            where written.insert(digest).inserted {
                tar.addFile("blobs/sha256/\(digest.encoded)", data)
            }
        }
        tar.addFile("index.json", indexJSON(entries))
        return tar.finished()
    }
}
