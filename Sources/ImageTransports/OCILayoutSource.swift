import ByteStreams
import Foundation
import OCI

/// An OCI image layout directory read as an image source (`oci:DIR[:TAG]`).
public struct OCILayoutSource: ImageSource {
    public let directory: String
    /// The tag chosen with `oci:DIR:TAG`; nil takes the layout's only image.
    public let tag: String?
    private let reader: LayoutReader

    /// Opens the layout, reading `index.json`. A path that is not a layout gives an error that says what
    /// is there instead (nothing, a file, an empty directory, a docker-save tarball, other files).
    public init(directory: String, tag: String? = nil) throws {
        try LayoutDirectory.checkReadable(directory)
        self.directory = directory
        self.tag = tag
        self.reader = try LayoutReader(files: DirectoryFiles(location: directory))
    }

    public var displayName: String { "oci:\(directory)" + (tag.map { ":\($0)" } ?? "") }

    public func listTags() async throws -> [String] { reader.tags }

    public func rootManifest() async throws -> ManifestData {
        try await BlockingIO.run { [reader, tag] in try reader.root(tag: tag) }
    }

    public func manifest(_ reference: ManifestReference) async throws -> ManifestData {
        try await BlockingIO.run { [reader] in
            switch reference {
            case .tag(let tag): try reader.root(tag: tag)
            case .digest(let digest): try reader.manifest(digest: digest, declared: nil)
            }
        }
    }

    public func blob(_ descriptor: Descriptor) async throws -> any ByteSource {
        try reader.blob(descriptor)
    }
}
