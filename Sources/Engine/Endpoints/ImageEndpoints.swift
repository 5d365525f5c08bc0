import ByteStreams
import Foundation
import ImageTransports
import OCI
import Registry

/// Opens the source or destination that an `ImageLocation` names.
///
/// Registry locations are opened by a `RegistryEndpoints` value, which carries credentials and
/// per-registry settings; layouts and archives need nothing but their path.
public struct ImageEndpoints: Sendable {
    /// Shared by every registry location opened here: one HTTP engine, one token cache.
    public let session: RegistrySession

    public init(session: RegistrySession) {
        self.session = session
    }

    /// Opens `location` for reading one image: its tag, its digest, or the only image it holds.
    public func openSource(_ location: ImageLocation) async throws -> any ImageSource {
        switch location {
        case .layout(let directory, let tag, let digest):
            let layout = try OCILayoutSource(directory: directory, tag: tag)
            guard let digest else { return layout }
            return PinnedImageSource(base: layout, digest: digest)
        case .archive(let file, let image):
            return try await DockerArchiveSource(path: file, tag: image)
        case .registry(let reference):
            return RegistryRepository(session: session, reference: reference)
        case .repository:
            throw EndpointError(
                "\(location) names a whole repository; name one image with :TAG or @DIGEST (a plan copies every tag)")
        }
    }

    /// Opens `location` for writing; returns the destination and the tag to write under (nil: by digest).
    /// A registry repository without a tag takes `defaultTag` (the source's tag, as skopeo does).
    public func openDestination(_ location: ImageLocation, defaultTag: String? = nil) throws -> (
        destination: any ImageDestination, tag: String?
    ) {
        switch location {
        case .layout(let directory, let tag, let digest):
            if digest != nil {
                throw EndpointError("\(location) names a digest; a destination needs a tag or nothing")
            }
            return (try OCILayoutDestination(directory: directory), tag)
        case .archive:
            throw EndpointError("\(location) cannot be written: docker-archive is a source only")
        case .registry(let reference):
            if reference.digest != nil && reference.tag == nil {
                return (RegistryRepository(session: session, reference: reference), nil)
            }
            return (RegistryRepository(session: session, reference: reference), reference.tag)
        case .repository(let repository):
            let tag = defaultTag ?? "latest"
            return (RegistryRepository(session: session, reference: try repository.reference(tag: tag)), tag)
        }
    }
}

/// A location that cannot be opened the way it was asked for.
public struct EndpointError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A source opened at a digest instead of its default image.
struct PinnedImageSource: ImageSource {
    let base: any ImageSource
    let digest: Digest

    var displayName: String { "\(base.displayName)@\(digest)" }
    func listTags() async throws -> [String] { try await base.listTags() }
    func rootManifest() async throws -> ManifestData { try await base.manifest(.digest(digest)) }
    func manifest(_ reference: ManifestReference) async throws -> ManifestData { try await base.manifest(reference) }
    func blob(_ descriptor: Descriptor) async throws -> any ByteSource { try await base.blob(descriptor) }
}
