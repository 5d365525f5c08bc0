import OCI

/// A registry repository without tag or digest, e.g. `127.0.0.1:5000/team/app`: what repository-wide
/// jobs (migrations, relabeling, cleanup) work on.
///
/// `OCI.Reference` fills in `latest` when a reference has no tag, so a plan's "whole repository"
/// is kept in its own type rather than as a reference.
public struct RepositoryName: Sendable, Hashable, CustomStringConvertible {
    /// The registry, `HOST[:PORT]` (Docker Hub's aliases become `docker.io`).
    public let registry: String
    /// The repository path, e.g. `team/app`.
    public let repository: String

    /// The repository of `reference`, dropping its tag and digest.
    public init(_ reference: Reference) {
        registry = reference.registry
        repository = reference.repository
    }

    /// Parses `REGISTRY/PATH` and refuses a tag or digest.
    public init(parsing text: String) throws(ImageLocationError) {
        let reference: Reference
        do {
            reference = try Reference(parsing: text)
        } catch {
            throw ImageLocationError(
                input: text, reason: "is not a valid repository: \(ReferenceSyntax.reason(error, for: text))")
        }
        guard !ReferenceSyntax.hasTagOrDigest(text) else {
            throw ImageLocationError(input: text, reason: "names a tag or digest; a repository has neither")
        }
        self.init(reference)
    }

    /// The image of this repository tagged `tag`.
    public func reference(tag: String) throws -> Reference {
        try Reference(registry: registry, repository: repository, tag: tag)
    }

    /// `registry/repository`.
    public var description: String { "\(registry)/\(repository)" }
}

/// What a reference as written says, before `OCI.Reference` normalises it.
enum ReferenceSyntax {
    /// Whether `text` names a tag (a `:` after the last `/`) or a digest (an `@`).
    static func hasTagOrDigest(_ text: String) -> Bool {
        if text.contains("@") { return true }
        guard let colon = text.lastIndex(of: ":") else { return false }
        guard let slash = text.lastIndex(of: "/") else { return true }
        return colon > slash
    }

    /// The reference parser's message without its own quote of the input, which callers already show.
    static func reason(_ error: any Error, for text: String) -> String {
        let message = String(describing: error)
        let prefix = "invalid image reference \"\(text)\": "
        return message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
    }
}
