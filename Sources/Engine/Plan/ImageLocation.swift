import Foundation
import ImageTransports
import OCI

/// Where images are read from or written to, written in skopeo's transport syntax.
///
/// - `oci:DIR[:TAG]` or `oci:DIR@sha256:HEX`: an OCI image layout directory. The directory ends
///   at the first `:`. Without tag or digest it means every tagged image in the layout.
/// - `docker-archive:FILE[:REF]`: a `docker save` tarball, readable only. `REF` picks an image by
///   name (`name:tag`) or position (`@0`).
/// - `docker://REF` or a bare `REF`: a registry image (`.registry`, with a tag or digest) or, without
///   tag and digest, a whole repository (`.repository`): every tag that passes the job's filter.
///
/// Relative paths are resolved against the plan's directory and `~/` against the home directory.
public enum ImageLocation: Sendable, Hashable, CustomStringConvertible {
    /// One image in a registry; the reference has a tag or a digest as written in the plan.
    case registry(Reference)
    /// Every tag of a registry repository.
    case repository(RepositoryName)
    case layout(directory: String, tag: String?, digest: Digest?)
    case archive(file: String, image: String?)

    /// Transports skopeo knows that ocibatch does not read or write, so they get a clear refusal.
    private static let unsupportedTransports = [
        "dir", "containers-storage", "docker-daemon", "oci-archive", "sif", "tarball", "ostree",
    ]

    /// Parses `text`, resolving relative paths against `baseDirectory`.
    public init(
        parsing text: String, relativeTo baseDirectory: String,
        homeDirectory: String = NSHomeDirectory()
    ) throws(ImageLocationError) {
        func fail(_ reason: String) -> ImageLocationError { ImageLocationError(input: text, reason: reason) }
        if let rest = text.dropPrefix("docker://") {
            guard !rest.isEmpty else { throw fail("has no reference after docker://") }
            self = try Self.parseRegistry(rest, input: text)
        } else if let rest = text.dropPrefix("oci:") {
            self = try Self.parseLayout(rest, input: text, baseDirectory: baseDirectory, home: homeDirectory)
        } else if let rest = text.dropPrefix("docker-archive:") {
            self = try Self.parseArchive(rest, input: text, baseDirectory: baseDirectory, home: homeDirectory)
        } else if let scheme = text.range(of: "://").map({ String(text[..<$0.lowerBound]) }) {
            throw fail("uses the unknown transport \"\(scheme)://\"; use oci:, docker-archive: or docker://")
        } else if let colon = text.firstIndex(of: ":"),
            Self.unsupportedTransports.contains(String(text[..<colon]))
        {
            throw fail(
                "uses the transport \"\(text[..<colon]):\", which ocibatch does not support; "
                    + "use oci:, docker-archive: or docker://")
        } else {
            self = try Self.parseRegistry(text, input: text)
        }
    }

    /// Whether the location names many images (a repository, or a layout without tag or digest)
    /// rather than one.
    public var isRepository: Bool {
        switch self {
        case .registry: false
        case .repository: true
        case .layout(_, let tag, let digest): tag == nil && digest == nil
        case .archive: false
        }
    }

    /// The transport prefix: "docker", "oci" or "docker-archive".
    public var transport: String {
        switch self {
        case .registry, .repository: "docker"
        case .layout: "oci"
        case .archive: "docker-archive"
        }
    }

    /// The location in transport syntax, with absolute paths.
    public var description: String {
        switch self {
        case .registry(let reference): "docker://\(reference)"
        case .repository(let repository): "docker://\(repository)"
        case .layout(let directory, let tag, let digest):
            if let digest {
                "oci:\(directory)@\(digest)"
            } else if let tag {
                "oci:\(directory):\(tag)"
            } else {
                "oci:\(directory)"
            }
        case .archive(let file, let image): image.map { "docker-archive:\(file):\($0)" } ?? "docker-archive:\(file)"
        }
    }

    private static func parseRegistry(_ text: String, input: String) throws(ImageLocationError) -> ImageLocation {
        let reference = try parseReference(text, input: input)
        return ReferenceSyntax.hasTagOrDigest(text) ? .registry(reference) : .repository(RepositoryName(reference))
    }

    private static func parseReference(_ text: String, input: String) throws(ImageLocationError) -> Reference {
        do {
            return try Reference(parsing: text)
        } catch {
            throw ImageLocationError(
                input: input, reason: "is not a valid image reference: \(ReferenceSyntax.reason(error, for: text))")
        }
    }

    private static func parseLayout(
        _ rest: String, input: String, baseDirectory: String, home: String
    ) throws(ImageLocationError) -> ImageLocation {
        if let at = rest.lastIndex(of: "@"), let digest = try? Digest(parsing: String(rest[rest.index(after: at)...])) {
            let directory = String(rest[..<at])
            guard !directory.isEmpty else { throw ImageLocationError(input: input, reason: "has no directory") }
            return .layout(directory: resolve(directory, against: baseDirectory, home: home), tag: nil, digest: digest)
        }
        let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let directory = parts.first.map(String.init) ?? ""
        guard !directory.isEmpty else { throw ImageLocationError(input: input, reason: "has no directory") }
        var tag: String?
        if parts.count == 2 {
            let name = String(parts[1])
            // A layout names its images by bare tag or by full reference (`example.com/app:1.0`).
            guard LayoutRefName.isValid(name) else {
                throw ImageLocationError(
                    input: input,
                    reason: "has the image name \"\(name)\", which is not valid (a tag such as 1.0, or a full "
                        + "reference such as example.com/app:1.0)")
            }
            tag = name
        }
        return .layout(directory: resolve(directory, against: baseDirectory, home: home), tag: tag, digest: nil)
    }

    private static func parseArchive(
        _ rest: String, input: String, baseDirectory: String, home: String
    ) throws(ImageLocationError) -> ImageLocation {
        let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let file = parts.first.map(String.init) ?? ""
        guard !file.isEmpty else { throw ImageLocationError(input: input, reason: "has no file") }
        var image: String?
        if parts.count == 2 {
            let selector = String(parts[1])
            if let index = selector.dropPrefix("@") {
                guard let position = Int(index), position >= 0, String(position) == index else {
                    throw ImageLocationError(input: input, reason: "has \"\(selector)\", expected @N with N ≥ 0")
                }
                image = "@\(position)"
            } else {
                _ = try parseReference(selector, input: input)
                image = selector
            }
        }
        return .archive(file: resolve(file, against: baseDirectory, home: home), image: image)
    }

    /// `path` made absolute: `~/` against `home`, relative against `baseDirectory`.
    static func resolve(_ path: String, against baseDirectory: String, home: String) -> String {
        let absolute: String
        if path == "~" {
            absolute = home
        } else if let rest = path.dropPrefix("~/") {
            absolute = (home as NSString).appendingPathComponent(rest)
        } else if path.hasPrefix("/") {
            absolute = path
        } else {
            absolute = (baseDirectory as NSString).appendingPathComponent(path)
        }
        return (absolute as NSString).standardizingPath
    }
}

/// Why a source or target could not be read; names the input.
public struct ImageLocationError: Error, Equatable, CustomStringConvertible {
    public let input: String
    public let reason: String

    public var description: String { "\"\(input)\" \(reason)" }
}

extension String {
    /// The rest of the string after `prefix`, or `nil` when it does not start with it.
    func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}

extension ImageLocation {
    /// The tag this location names, if any (a registry tag, a layout or archive image tag).
    public var tag: String? {
        switch self {
        case .registry(let reference): reference.tag
        case .repository: nil
        case .layout(_, let name, _): name.flatMap(Self.tagPart)
        case .archive(_, let image): image.flatMap(Self.tagPart)
        }
    }

    /// `1.0` of `1.0` or of `example.com/app:1.0`; nil for a name without a tag.
    private static func tagPart(_ name: String) -> String? {
        guard name.contains("/") || name.contains(":") else { return Reference.isValidTag(name) ? name : nil }
        guard let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") else { return nil }
        return String(name[name.index(after: colon)...])
    }
}
