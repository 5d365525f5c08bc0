import Foundation
import HTTPClient
import ImageTransports
import OCI

/// What a manifest HEAD tells: the digest, media type and size of what a tag or digest names.
public struct ManifestHead: Sendable, Equatable {
    public var digest: Digest
    public var mediaType: MediaType
    public var size: Int64
}

extension RegistryClient {
    /// Every manifest type ocibatch reads, most wanted first (schema 1 last, and refused when served).
    static let manifestAccept: String = [
        MediaType.ociIndex, .dockerManifestList, .ociManifest, .dockerManifest, .dockerSchema1Signed, .dockerSchema1,
    ].map(\.rawValue).joined(separator: ", ")

    /// Checks the registry speaks the distribution API (`GET /v2/`, authenticating if asked).
    public func ping() async throws {
        _ = try await send(RegistryRequest(method: .get, url: try await url(""), response: .discard))
    }

    /// The digest, media type and size `reference` names in `repository`, or nil when there is none.
    ///
    /// Falls back to a GET when the registry leaves out `Docker-Content-Digest`. `forPush` asks
    /// with the push token (a destination checking before it writes).
    public func headManifest(_ repository: String, _ reference: ManifestReference, forPush: Bool = false) async throws
        -> ManifestHead?
    {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: Self.manifestAccept)
        let url = try await url("\(repository)/manifests/\(reference.pathComponent)")
        let response: HTTPResponse
        do {
            response = try await send(
                RegistryRequest(
                    method: .head, url: url, headers: headers, response: .discard,
                    scopes: [Scope.read(repository, forPush: forPush)]))
        } catch let error as RegistryError where error.isNotFound {
            return nil
        }
        if let digestText = response.headers["Docker-Content-Digest"], let digest = try? Digest(parsing: digestText),
            let size = response.headers["Content-Length"].flatMap({ Int64($0) }),
            let contentType = response.headers["Content-Type"].map(Self.mediaType(fromContentType:)),
            contentType.isManifest
        {
            if case .digest(let wanted) = reference, wanted != digest {
                throw RegistryError(
                    .digestMismatch, method: "HEAD", url: url.absoluteString,
                    message: "registry answered digest \(digest) for \(wanted)")
            }
            return ManifestHead(digest: digest, mediaType: contentType, size: size)
        }
        guard let manifest = try await getManifestIfPresent(repository, reference, forPush: forPush) else { return nil }
        return ManifestHead(digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.size)
    }

    /// The manifest `reference` names, its bytes checked against the digest when asked by digest.
    public func getManifest(_ repository: String, _ reference: ManifestReference) async throws -> ManifestData {
        guard let manifest = try await getManifestIfPresent(repository, reference) else {
            throw RegistryError(
                .notFound, url: "\(host)/\(repository)", status: 404,
                message: "manifest \(reference) does not exist")
        }
        return manifest
    }

    private func getManifestIfPresent(_ repository: String, _ reference: ManifestReference, forPush: Bool = false)
        async throws -> ManifestData?
    {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: Self.manifestAccept)
        let url = try await url("\(repository)/manifests/\(reference.pathComponent)")
        let response: HTTPResponse
        do {
            response = try await send(
                RegistryRequest(
                    method: .get, url: url, headers: headers, response: .collect(limit: ContentLimits.manifestBytes),
                    scopes: [Scope.read(repository, forPush: forPush)]))
        } catch let error as RegistryError where error.isNotFound {
            return nil
        }
        let digest = Digest.sha256(response.body)
        if case .digest(let wanted) = reference, wanted != digest {
            throw RegistryError(
                .digestMismatch, method: "GET", url: url.absoluteString,
                message: "manifest bytes have digest \(digest), not the requested \(wanted)")
        }
        var mediaType = response.headers["Content-Type"].map(Self.mediaType(fromContentType:))
        if mediaType?.isSchema1 == true || mediaType?.isManifest != true {
            do {
                mediaType = try ManifestDocument.parse(response.body, declaredMediaType: mediaType).mediaType
            } catch let error as OCIError {
                throw RegistryError(
                    .unsupported, method: "GET", url: url.absoluteString, message: error.message)
            }
        }
        return ManifestData(bytes: response.body, mediaType: mediaType ?? .ociManifest, digest: digest)
    }

    /// Stores `manifest` under `reference` with its own media type; the digest the registry
    /// reports must be the digest of the bytes sent.
    @discardableResult
    public func putManifest(_ repository: String, _ manifest: ManifestData, reference: ManifestReference) async throws
        -> Digest
    {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: manifest.mediaType.rawValue)
        let url = try await url("\(repository)/manifests/\(reference.pathComponent)")
        let response = try await send(
            RegistryRequest(
                method: .put, url: url, headers: headers, body: .data(manifest.bytes),
                scopes: [Scope.push(repository)], success: [200, 201, 202]))
        if let returned = response.headers["Docker-Content-Digest"], !returned.isEmpty,
            (try? Digest(parsing: returned)) != manifest.digest
        {
            throw RegistryError(
                .digestMismatch, method: "PUT", url: url.absoluteString,
                message: "registry stored digest \(returned) but the manifest sent has digest \(manifest.digest)")
        }
        return manifest.digest
    }

    /// Deletes the manifest `reference` names. A tag is resolved to its digest first, since
    /// registries refuse DELETE by tag. Returns the digest deleted.
    @discardableResult
    public func deleteManifest(_ repository: String, _ reference: ManifestReference) async throws -> Digest {
        let digest: Digest
        switch reference {
        case .digest(let given):
            digest = given
        case .tag:
            guard let head = try await headManifest(repository, reference, forPush: true) else {
                throw RegistryError(
                    .notFound, url: "\(host)/\(repository)", status: 404,
                    message: "manifest \(reference) does not exist")
            }
            digest = head.digest
        }
        let url = try await url("\(repository)/manifests/\(digest)")
        _ = try await send(
            RegistryRequest(
                method: .delete, url: url, response: .discard, scopes: [Scope.push(repository)], success: [200, 202]))
        return digest
    }

    /// `application/vnd.oci.image.manifest.v1+json; charset=utf-8` → the bare media type.
    static func mediaType(fromContentType value: String) -> MediaType {
        MediaType(String(value.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces).lowercased())
    }
}

extension ManifestReference {
    /// How the reference appears in a `/manifests/` path.
    var pathComponent: String {
        switch self {
        case .tag(let tag): tag
        case .digest(let digest): digest.description
        }
    }
}
