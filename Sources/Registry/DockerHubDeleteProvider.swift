import ByteStreams
import Foundation
import HTTPClient
import OCI

/// Docker Hub: its registry refuses DELETE, so tags are overwritten with the empty image, and a
/// repository whose only tag is the one deleted is removed through the Hub API (decisions 1–2).
///
/// A digest reference acts on exactly the tags that point at that digest; no other tag (not
/// even `latest`) is touched.
public struct DockerHubDeleteProvider: DeleteProvider {
    let session: RegistrySession
    /// `https://hub.docker.com`, or a fake.
    let api: URL

    public func plan(_ reference: Reference) async throws -> [DeleteAction] {
        let client = session.client(for: reference.registry)
        let repository = reference.repository
        let tags = try await client.listTags(repository)
        var targets: [String] = []
        if let digest = reference.digest {
            for tag in tags where reference.tag == nil || reference.tag == tag {
                if try await client.headManifest(repository, .tag(tag), forPush: true)?.digest == digest {
                    targets.append(tag)
                }
            }
            guard !targets.isEmpty else {
                throw RegistryError(
                    .notFound, url: reference.description, message: "no tag of \(repository) points at \(digest)")
            }
        } else {
            let tag = reference.tag ?? "latest"
            guard tags.contains(tag) else {
                throw RegistryError(.notFound, url: reference.description, message: "tag \(tag) does not exist")
            }
            targets = [tag]
        }
        if tags.count == 1, targets == tags {
            return [.deleteRepository(registry: reference.registry, repository: repository)]
        }
        let empty = EmptyImage.manifest.digest
        return targets.map {
            .overwriteTag(registry: reference.registry, repository: repository, tag: $0, emptyImage: empty)
        }
    }

    public func execute(_ actions: [DeleteAction]) async throws {
        for action in actions {
            switch action {
            case .overwriteTag(let registry, let repository, let tag, _):
                try await overwrite(session.client(for: registry), repository: repository, tag: tag)
            case .deleteRepository(let registry, let repository):
                try await deleteRepository(session.client(for: registry), repository: repository)
            case .deleteManifest, .deleteImage:
                throw RegistryError(.unsupported, message: "Docker Hub cannot carry out \(action)")
            }
        }
    }

    /// Pushes the empty image's config (unless present) and points `tag` at its manifest.
    private func overwrite(_ client: RegistryClient, repository: String, tag: String) async throws {
        let config = EmptyImage.configDescriptor
        if try await client.headBlob(repository, config.digest, forPush: true) == nil {
            _ = try await client.uploadBlob(repository, config) { DataByteSource(EmptyImage.configBytes) }
        }
        try await client.putManifest(repository, EmptyImage.manifest, reference: .tag(tag))
    }

    /// Logs in to the Hub API with the registry credentials, then deletes the repository.
    private func deleteRepository(_ client: RegistryClient, repository: String) async throws {
        let credentials = try await client.credentials()
        guard let username = credentials.username, let password = credentials.password else {
            throw RegistryError(
                .unauthorized,
                message: "deleting Docker Hub repository \(repository) needs a user name and password (or access token)"
            )
        }
        let exchange = session.exchange
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: "application/json")
        let body = try JSONSerialization.data(withJSONObject: ["username": username, "password": password])
        let loginURL = api.appendingPathComponent("v2/users/login/")
        let login = try await exchange.execute(
            HTTPRequest(method: .post, url: loginURL, headers: headers, body: .data(body)))
        guard login.status == 200 else {
            throw Self.apiError(login, method: "POST", url: loginURL, what: "Docker Hub login")
        }
        guard let token = try APIExchange.jsonObject(login, what: "Docker Hub login")["token"] as? String,
            !token.isEmpty
        else {
            throw RegistryError(
                .invalidResponse, url: loginURL.absoluteString, message: "Docker Hub login sent no token")
        }
        var deleteHeaders = HTTPHeaders()
        deleteHeaders.add(name: "Authorization", value: "JWT " + token)
        deleteHeaders.add(name: "Accept", value: "application/json")
        let deleteURL = api.appendingPathComponent("v2/repositories/\(repository)/")
        let response = try await exchange.execute(HTTPRequest(method: .delete, url: deleteURL, headers: deleteHeaders))
        guard [200, 202, 204].contains(response.status) else {
            throw Self.apiError(response, method: "DELETE", url: deleteURL, what: "Docker Hub repository delete")
        }
    }

    /// An error from a Hub API answer, quoting only its `detail`/`message` field.
    static func apiError(_ response: HTTPResponse, method: String, url: URL, what: String) -> RegistryError {
        let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        let detail = (object?["detail"] ?? object?["message"]) as? String
        return RegistryError(
            RegistryError.kind(forStatus: response.status), method: method, url: url.absoluteString,
            status: response.status, retryAfter: RegistryError.parseRetryAfter(response.headers["Retry-After"]),
            message: "\(what) failed" + (detail.map { ": \($0.prefix(300))" } ?? ""))
    }
}
