import Foundation
import OCI

/// One thing a delete does, planned before anything is touched so a dry run can show it and the
/// audit can record it.
public enum DeleteAction: Sendable, Equatable, CustomStringConvertible {
    /// `DELETE /v2/<repository>/manifests/<digest>` on a standard registry; `tags` are the tags
    /// that point at the digest and go with it (the registry has no way to delete only one).
    case deleteManifest(registry: String, repository: String, digest: Digest, tags: [String])
    /// Docker Hub cannot delete a tag: the tag is pointed at the empty image instead.
    case overwriteTag(registry: String, repository: String, tag: String, emptyImage: Digest)
    /// Docker Hub: the repository's only tag is the one deleted, so the whole repository goes.
    case deleteRepository(registry: String, repository: String)
    /// IBM Container Registry's own delete API, for the reference as the user wrote it.
    case deleteImage(reference: String)

    public var description: String {
        switch self {
        case .deleteManifest(let registry, let repository, let digest, let tags):
            "delete manifest \(registry)/\(repository)@\(digest)"
                + (tags.isEmpty ? " (no tag points at it)" : " with its tags \(tags.joined(separator: ", "))")
        case .overwriteTag(let registry, let repository, let tag, let emptyImage):
            "overwrite tag \(registry)/\(repository):\(tag) with the empty image \(emptyImage)"
        case .deleteRepository(let registry, let repository):
            "delete the whole repository \(registry)/\(repository) (its only tag is the one deleted)"
        case .deleteImage(let reference): "delete image \(reference) through the IBM Cloud Container Registry API"
        }
    }
}

/// Deletes an image the way its registry allows.
public protocol DeleteProvider: Sendable {
    /// What deleting `reference` would do; nothing is changed.
    func plan(_ reference: Reference) async throws -> [DeleteAction]
    /// What deleting `reference` would do when the tags `alongWith` of the same repository are
    /// deleted in the same run; nothing is changed.
    func plan(_ reference: Reference, alongWith tags: Set<String>) async throws -> [DeleteAction]
    /// Carries out actions `plan` returned.
    func execute(_ actions: [DeleteAction]) async throws
}

extension DeleteProvider {
    /// Providers that delete a tag on its own need not know what else is deleted.
    public func plan(_ reference: Reference, alongWith tags: Set<String>) async throws -> [DeleteAction] {
        try await plan(reference)
    }
}

/// The provider for a registry, chosen by exact host (decisions 1–5): Docker Hub, IBM Cloud
/// Container Registry (`icr.io`, `*.icr.io`), or the standard distribution API for any other.
public struct RegistryDeleter: Sendable {
    public let session: RegistrySession
    /// Docker Hub's web API (login, repositories); a local fake in tests.
    public var dockerHubAPI: URL
    /// IBM Cloud IAM; nil picks production, or the test IAM for `stg.icr.io`.
    public var ibmIAM: URL?
    /// The IBM registry's own API base; nil means `https://<registry host>`.
    public var ibmRegistryAPI: URL?

    public static let defaultDockerHubAPI = URL(string: "https://hub.docker.com") ?? URL(fileURLWithPath: "/")

    public init(
        session: RegistrySession, dockerHubAPI: URL = defaultDockerHubAPI, ibmIAM: URL? = nil,
        ibmRegistryAPI: URL? = nil
    ) {
        self.session = session
        self.dockerHubAPI = dockerHubAPI
        self.ibmIAM = ibmIAM
        self.ibmRegistryAPI = ibmRegistryAPI
    }

    public func provider(for reference: Reference) -> any DeleteProvider {
        let host = reference.registry.lowercased()
        if DockerHubNames.isDockerHub(host) { return DockerHubDeleteProvider(session: session, api: dockerHubAPI) }
        if host == "icr.io" || host.hasSuffix(".icr.io") {
            return IBMCloudDeleteProvider(session: session, iam: ibmIAM, registryAPI: ibmRegistryAPI)
        }
        return StandardDeleteProvider(session: session)
    }

    /// What deleting `reference` would do, when the tags `alongWith` of the same repository are
    /// deleted too.
    public func plan(_ reference: Reference, alongWith tags: Set<String> = []) async throws -> [DeleteAction] {
        try await provider(for: reference).plan(reference, alongWith: tags)
    }

    /// Deletes `reference` and returns what was done. `alongWith` names the other tags of the same
    /// repository deleted in the same run: on a standard registry a tag sharing its digest with a
    /// tag not named there makes the delete refuse.
    @discardableResult
    public func delete(_ reference: Reference, alongWith tags: Set<String> = []) async throws -> [DeleteAction] {
        let provider = provider(for: reference)
        let actions = try await provider.plan(reference, alongWith: tags)
        try await provider.execute(actions)
        return actions
    }
}
