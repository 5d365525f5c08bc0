import ByteStreams
import Foundation
import OCI

/// A `docker save` tarball read as an image source (`docker-archive:FILE[:TAG]`).
///
/// Two formats are read. Tarballs with an `index.json` (Docker 25 and later) carry an OCI layout,
/// which is read as such, so the daemon's manifests keep their bytes and digests. Classic tarballs
/// (`manifest.json`, a config file, one tar per layer) get a synthesised OCI image manifest, compact
/// and deterministic: the same tarball always gives the same digest. Each layer's compression is
/// read from its first bytes and its media type chosen from it; layers are never recompressed (see
/// `ClassicDockerArchive.layerMediaType`). Images are picked by name as `ImageNameSelection` says.
public struct DockerArchiveSource: ImageSource {
    public let path: String
    /// Selects one image of a tarball that holds several: a tag (`v1`) or a name (`repo:v1`,
    /// `docker.io/library/repo:v1`).
    public let tag: String?
    private let backing: Backing

    private enum Backing: Sendable {
        case layout(LayoutReader)
        case classic(ClassicDockerArchive, SynthesizedImage)
    }

    /// Lists the tarball (refusing absolute names, `..` and links that leave it) and prepares the image;
    /// for a classic tarball that means hashing its layers once.
    public init(path: String, tag: String? = nil) async throws {
        guard !path.isEmpty else {
            throw TransportError.invalid("no docker-archive file was given (the path is empty)")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw TransportError.invalid(
                "\(path) is a directory, not a docker-save tarball; an OCI layout is read with oci:\(path)")
        }
        self.path = path
        self.tag = tag
        self.backing = try await BlockingIO.run { () throws -> Backing in
            let archive = try TarArchive(path: path)
            if archive.entries["index.json"] != nil {
                let reader = try LayoutReader(files: archive)
                _ = try reader.root(tag: tag)
                return .layout(reader)
            }
            guard archive.entries["manifest.json"] != nil else {
                let shown = archive.names.prefix(5).joined(separator: ", ")
                throw TransportError.invalid(
                    "\(path) is not a docker-save tarball: it has neither manifest.json nor index.json (found: \(shown.isEmpty ? "no entries" : shown))"
                )
            }
            let classic = try ClassicDockerArchive(archive: archive)
            return .classic(classic, try classic.synthesize(try classic.image(tag: tag)))
        }
    }

    public var displayName: String { "docker-archive:\(path)" + (tag.map { ":\($0)" } ?? "") }

    public func listTags() async throws -> [String] {
        switch backing {
        case .layout(let reader): reader.tags
        case .classic(let classic, _): classic.tags
        }
    }

    public func rootManifest() async throws -> ManifestData {
        switch backing {
        case .layout(let reader): try await BlockingIO.run { try reader.root(tag: tag) }
        case .classic(_, let image): image.manifest
        }
    }

    public func manifest(_ reference: ManifestReference) async throws -> ManifestData {
        switch (backing, reference) {
        case (.layout(let reader), .tag(let tag)):
            return try await BlockingIO.run { try reader.root(tag: tag) }
        case (.layout(let reader), .digest(let digest)):
            return try await BlockingIO.run { try reader.manifest(digest: digest, declared: nil) }
        case (.classic(let classic, _), .tag(let tag)):
            return try await BlockingIO.run { try classic.synthesize(try classic.image(tag: tag)).manifest }
        case (.classic(_, let image), .digest(let digest)):
            guard digest == image.manifest.digest else {
                throw TransportError.invalid("\(path): the tarball has no manifest \(digest)")
            }
            return image.manifest
        }
    }

    public func blob(_ descriptor: Descriptor) async throws -> any ByteSource {
        switch backing {
        case .layout(let reader):
            return try reader.blob(descriptor)
        case .classic(let classic, let image):
            if descriptor.digest == image.configDigest {
                return try VerifyingByteSource(
                    wrapping: DataByteSource(image.config), descriptor: descriptor, subject: "\(path): config")
            }
            guard let entry = image.layerEntries[descriptor.digest] else {
                throw TransportError.invalid("\(path): the tarball has no blob \(descriptor.digest)")
            }
            return try VerifyingByteSource(
                wrapping: try classic.archive.open(entry), descriptor: descriptor, subject: "\(path): \(entry)")
        }
    }
}
