import ByteStreams
import Foundation
import OCI

/// Reads images out of an OCI image layout: `index.json`, tag selection, the seed's flattening of
/// single-entry indexes, and blobs checked against their descriptors.
struct LayoutReader: Sendable {
    static let refNameAnnotation = "org.opencontainers.image.ref.name"
    /// Docker's `docker save` (25+) also names each entry with its full reference here.
    static let containerdNameAnnotation = "io.containerd.image.name"

    let files: any LayoutFiles
    let index: ImageIndex

    init(files: any LayoutFiles) throws {
        self.files = files
        let bytes = try files.read("index.json", limit: ContentLimits.manifestBytes)
        // The top-level index is an OCI index whatever it says; it usually has no mediaType field.
        index = try Self.withContext("\(files.location)/index.json") {
            try ImageIndex(bytes: bytes, mediaType: .ociIndex)
        }
    }

    /// Rethrows model errors with the file they came from in front.
    static func withContext<T>(_ file: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as OCIError {
            throw TransportError.invalid("\(file): \(error.message)")
        }
    }

    /// The tag an `index.json` entry carries: its ref name, or the tag part of a full reference there.
    static func tag(of descriptor: Descriptor) -> String? {
        guard let name = descriptor.annotations?[refNameAnnotation] else { return nil }
        return tagPart(of: name)
    }

    private static func tagPart(of name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        let tail = name[name.index(after: colon)...]
        return tail.contains("/") ? name : String(tail)
    }

    /// Whether an entry answers to `wanted`, a bare tag or a full reference.
    static func matches(_ descriptor: Descriptor, tag wanted: String) -> Bool {
        let names = [refNameAnnotation, containerdNameAnnotation].compactMap { descriptor.annotations?[$0] }
        return names.contains { name in
            name == wanted || (!wanted.contains(":") && !wanted.contains("/") && tagPart(of: name) == wanted)
        }
    }

    var tags: [String] { Array(Set(index.manifests.compactMap(Self.tag(of:)))).sorted() }

    private var tagList: String {
        let tags = tags
        return tags.isEmpty ? "none" : tags.joined(separator: ", ")
    }

    /// The image a layout holds under `tag`, or, without a tag, the one it holds.
    ///
    /// Without a tag: a single entry is taken; several entries that carry no names at all make the
    /// whole `index.json` the image index (as go-containerregistry writes multi-platform layouts);
    /// several named entries are ambiguous. Single-entry indexes are then flattened as the seed does.
    func root(tag: String?) throws -> ManifestData {
        let entries = index.manifests
        if let tag {
            let chosen = entries.filter { Self.matches($0, tag: tag) }
            guard let first = chosen.first else {
                throw TransportError.invalid(
                    "\(files.location): no image is tagged \"\(tag)\" in index.json (tags: \(tagList))")
            }
            guard chosen.allSatisfy({ $0.digest == first.digest }) else {
                throw TransportError.invalid(
                    "\(files.location): several different images are tagged \"\(tag)\" in index.json")
            }
            return try flatten(from: first)
        }
        switch entries.count {
        case 0:
            throw TransportError.invalid("\(files.location): index.json lists no images")
        case 1:
            return try flatten(from: entries[0])
        default:
            if entries.allSatisfy({ Self.tag(of: $0) == nil }) {
                return ManifestData(bytes: index.bytes, mediaType: .ociIndex, digest: index.digest)
            }
            throw TransportError.invalid(
                "\(files.location): index.json lists \(entries.count) images; choose one by tag (tags: \(tagList))")
        }
    }

    /// Follows indexes with exactly one image or index entry down to the first that has more, or to
    /// the image (seed §3.1: "docker pull will not work otherwise").
    private func flatten(from start: Descriptor) throws -> ManifestData {
        guard start.mediaType.isManifest else {
            throw TransportError.invalid(
                "\(files.location): index.json entry \(start.digest) has media type \(start.mediaType), not an image or index"
            )
        }
        var current = try manifest(start)
        for _ in 0..<16 {
            let document = try Self.withContext(blobPath(current.digest)) { try current.document() }
            guard case .index(let nested) = document, nested.manifests.count == 1,
                nested.manifests[0].mediaType.isManifest
            else { return current }
            current = try manifest(nested.manifests[0])
        }
        throw TransportError.invalid("\(files.location): indexes are nested more than 16 deep")
    }

    func blobPath(_ digest: Digest) -> String { "blobs/\(digest.algorithm)/\(digest.encoded)" }

    /// A manifest named by a descriptor, checked against its digest and size.
    func manifest(_ descriptor: Descriptor) throws -> ManifestData {
        let data = try manifest(digest: descriptor.digest, declared: descriptor.mediaType)
        guard data.size == descriptor.size else {
            throw TransportError.invalid(
                "\(files.location)/\(blobPath(descriptor.digest)) is \(data.size) bytes but its descriptor says \(descriptor.size)"
            )
        }
        return data
    }

    /// A manifest by digest; its media type is the document's own, else `declared`, else its structure.
    func manifest(digest: Digest, declared: MediaType?) throws -> ManifestData {
        let path = blobPath(digest)
        guard files.exists(path) else {
            throw TransportError.invalid("\(files.location): manifest \(digest) is missing (\(path))")
        }
        let bytes = try files.read(path, limit: ContentLimits.manifestBytes)
        let actual = Digest.sha256(bytes)
        guard actual == digest else {
            throw TransportError.invalid("\(files.location)/\(path): content has digest \(actual), expected \(digest)")
        }
        let document = try Self.withContext("\(files.location)/\(path)") {
            try ManifestDocument.parse(bytes, declaredMediaType: declared)
        }
        return ManifestData(bytes: bytes, mediaType: document.mediaType, digest: digest)
    }

    /// A blob's bytes, checked against the descriptor while they are read.
    func blob(_ descriptor: Descriptor) throws -> any ByteSource {
        let path = blobPath(descriptor.digest)
        guard let size = files.size(path) else {
            throw TransportError.invalid("\(files.location): blob \(descriptor.digest) is missing (\(path))")
        }
        guard size == descriptor.size else {
            throw TransportError.invalid(
                "\(files.location)/\(path) is \(size) bytes but its descriptor says \(descriptor.size)")
        }
        return try VerifyingByteSource(
            wrapping: try files.open(path), descriptor: descriptor, subject: "\(files.location)/\(path)")
    }
}
