import ByteStreams
import Foundation
import OCI

/// Reads images out of an OCI image layout: `index.json`, tag selection, the seed's flattening of
/// single-entry indexes, and blobs checked against their descriptors.
struct LayoutReader: Sendable {
    static let refNameAnnotation = LayoutRefName.annotation
    /// Docker's `docker save` (25+) also names each entry with its full reference here.
    static let containerdNameAnnotation = "io.containerd.image.name"

    let files: any LayoutFiles
    let index: ImageIndex

    /// Reads `index.json`, after checking `oci-layout` when there is one (many tools omit it).
    init(files: any LayoutFiles) throws {
        self.files = files
        if files.exists("oci-layout") {
            try Self.checkVersion(try files.read("oci-layout", limit: 4096), file: "\(files.location)/oci-layout")
        }
        let bytes = try files.read("index.json", limit: ContentLimits.manifestBytes)
        // The top-level index is an OCI index whatever it says; it usually has no mediaType field.
        index = try Self.withContext("\(files.location)/index.json") {
            try ImageIndex(bytes: bytes, mediaType: .ociIndex)
        }
    }

    /// Refuses an `oci-layout` file that is not JSON or names a layout version other than 1.x.
    static func checkVersion(_ bytes: Data, file: String) throws {
        let value = try withContext(file) { try JSONValue.parse(bytes, subject: "oci-layout") }
        guard let version = value["imageLayoutVersion"]?.stringValue else {
            throw TransportError.invalid("\(file) has no \"imageLayoutVersion\"")
        }
        guard version.hasPrefix("1.") else {
            throw TransportError.invalid(
                "\(file) says imageLayoutVersion \(version); ocibatch reads and writes only version 1 layouts")
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

    /// The name an `index.json` entry carries (a bare tag or a full reference), or nil.
    static func refName(of descriptor: Descriptor) -> String? { descriptor.annotations?[refNameAnnotation] }

    /// Every name an entry answers to: its ref name, and the full reference Docker records.
    private static func names(of descriptor: Descriptor) -> [String] {
        [refNameAnnotation, containerdNameAnnotation].compactMap { descriptor.annotations?[$0] }
    }

    /// The ref names in `index.json`, as written (each selects its image), sorted.
    var tags: [String] { Array(Set(index.manifests.compactMap(Self.refName(of:)))).sorted() }

    private var tagList: String {
        let tags = tags
        return tags.isEmpty ? "none" : tags.joined(separator: ", ")
    }

    /// The image a layout holds under `tag`, or, without a tag, the one it holds.
    ///
    /// A tag is matched as `ImageNameSelection` describes: the exact name first, then the same
    /// reference, then a bare tag against the tag part of full names when that is unambiguous.
    /// Without a tag: a single entry is taken; several entries that carry no names at all make the
    /// whole `index.json` the image index (as go-containerregistry writes multi-platform layouts);
    /// several named entries are ambiguous. Single-entry indexes are then flattened as the seed does.
    func root(tag: String?) throws -> ManifestData {
        let entries = index.manifests
        if let tag {
            let chosen = try ImageNameSelection.choose(
                tag, among: entries, names: Self.names(of:), identity: \.digest,
                container: "\(files.location)/index.json")
            guard let chosen else {
                throw TransportError.invalid(
                    "\(files.location): no image is named \"\(tag)\" in index.json (tags: \(tagList))")
            }
            return try flatten(from: chosen)
        }
        switch entries.count {
        case 0:
            throw TransportError.invalid("\(files.location): index.json lists no images")
        case 1:
            return try flatten(from: entries[0])
        default:
            if entries.allSatisfy({ Self.refName(of: $0) == nil }) {
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
        for _ in 0...ContentLimits.maxIndexDepth {
            let document = try Self.withContext(blobPath(current.digest)) { try current.document() }
            guard case .index(let nested) = document, nested.manifests.count == 1,
                nested.manifests[0].mediaType.isManifest
            else { return current }
            current = try manifest(nested.manifests[0])
        }
        throw TransportError.invalid(
            "\(files.location): indexes are nested more than \(ContentLimits.maxIndexDepth) deep")
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
