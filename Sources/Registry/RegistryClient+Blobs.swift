import ByteStreams
import Foundation
import HTTPClient
import ImageTransports
import OCI

extension RegistryClient {
    /// The size of blob `digest` in `repository` (-1 when the registry has it but does not say its
    /// size), or nil when the registry does not have it there.
    ///
    /// `forPush` asks with the push token, so a push needs one token per repository, not two.
    public func headBlob(_ repository: String, _ digest: Digest, forPush: Bool = false) async throws -> Int64? {
        let url = try await url("\(repository)/blobs/\(digest)")
        do {
            let response = try await send(
                RegistryRequest(
                    method: .head, url: url, response: .discard, scopes: [Scope.read(repository, forPush: forPush)]))
            return response.headers["Content-Length"].flatMap { Int64($0) } ?? -1
        } catch let error as RegistryError where error.isNotFound {
            return nil
        }
    }

    /// The blob's bytes as a stream (following redirects to storage), checked against the
    /// descriptor's size and digest while read: a mismatch fails the read that reveals it.
    public func getBlob(_ repository: String, _ descriptor: Descriptor) async throws -> any ByteSource {
        let url = try await url("\(repository)/blobs/\(descriptor.digest)")
        let response = try await send(
            RegistryRequest(method: .get, url: url, response: .stream(), scopes: [Scope.pull(repository)]))
        let body = response.bodyStream
        if let length = response.headers["Content-Length"].flatMap({ Int64($0) }), length != descriptor.size {
            body.close()
            throw RegistryError(
                .digestMismatch, method: "GET", url: url.absoluteString,
                message: "blob \(descriptor.digest) is \(length) bytes on the registry, \(descriptor.size) expected")
        }
        return try RegistryVerifyingSource(
            wrapping: VerifyingByteSource(
                wrapping: body, descriptor: descriptor, subject: "blob \(descriptor.digest) of \(host)/\(repository)"),
            url: url)
    }

    /// Uploads a blob: a cross-repository mount when `mountFrom` names a repository of this
    /// registry that holds it (falling back to an upload when refused), else POST then PUT for
    /// small blobs, POST, PATCH (streamed, or in chunks) then PUT for large ones.
    ///
    /// `content` is called once per attempt, so a failed upload can be sent again from the start.
    public func uploadBlob(
        _ repository: String, _ descriptor: Descriptor, mountFrom: String? = nil,
        content: @escaping @Sendable () async throws -> any ByteSource
    ) async throws -> BlobTransfer {
        try await withRetries {
            let watch = UploadSourceWatch()
            let content = watch.watching(content)
            var location: URL?
            do {
                if let mountFrom, mountFrom != repository {
                    switch try await startUpload(repository, mount: descriptor.digest, from: mountFrom) {
                    case .mounted: return .mounted
                    case .upload(let url): location = url
                    }
                } else {
                    location = try await startUploadSession(repository, query: [], scopes: [Scope.push(repository)])
                }
                return try await send(repository, descriptor, session: &location, content: content)
            } catch {
                if let location { await abandonUpload(repository, location) }
                throw watch.blame(
                    for: error, digest: descriptor.digest, destination: "\(host)/\(repository)",
                    stallTimeout: configuration.transferOptions.stallTimeout)
            }
        }
    }

    /// Sends the blob into the upload session at `session`, which follows the session's moves.
    private func send(
        _ repository: String, _ descriptor: Descriptor, session location: inout URL?,
        content: @escaping @Sendable () async throws -> any ByteSource
    ) async throws -> BlobTransfer {
        guard let start = location else {
            throw RegistryError(.invalidResponse, message: "no upload session for \(descriptor.digest)")
        }
        if let chunkSize = configuration.uploadChunkSize, chunkSize > 0 {
            location = try await patchInChunks(
                repository, start, descriptor, chunkSize: chunkSize, content: content
            ) { location = $0 }
            return try await finishUpload(repository, location ?? start, descriptor, body: .none)
        }
        if descriptor.size <= configuration.monolithicUploadLimit {
            return try await finishUpload(
                repository, start, descriptor, body: .stream(length: descriptor.size, makeSource: content))
        }
        let next = try await patch(
            repository, start, body: .stream(length: descriptor.size, makeSource: content), range: nil)
        location = next
        return try await finishUpload(repository, next, descriptor, body: .none)
    }

    /// Asks the registry to drop an upload session that will not be finished (failed, cancelled),
    /// so the partial upload does not stay in its storage. Best effort: one short try, even when
    /// the caller was cancelled.
    func abandonUpload(_ repository: String, _ location: URL) async {
        let request = RegistryRequest(
            method: .delete, url: location, response: .discard, scopes: [Scope.push(repository)], retries: false,
            success: [200, 202, 204, 404], timeout: .seconds(5))
        // A task of its own: the caller's cancellation (Ctrl-C) must not cancel the clean-up.
        let cleanup = Task { _ = try? await self.send(request) }
        await cleanup.value
    }

    enum UploadStart {
        case mounted
        case upload(URL)
    }

    /// `POST …/blobs/uploads/?mount=&from=`: 201 means mounted; 202 gives an upload session instead.
    func startUpload(_ repository: String, mount digest: Digest, from source: String) async throws -> UploadStart {
        let url = try await url(
            "\(repository)/blobs/uploads/",
            query: [URLQueryItem(name: "mount", value: digest.description), URLQueryItem(name: "from", value: source)])
        let response = try await send(
            RegistryRequest(
                method: .post, url: url, response: .discard, scopes: [Scope.push(repository), Scope.pull(source)],
                retries: false, success: [201, 202]))
        if response.status == 201 { return .mounted }
        return .upload(try location(of: response, after: url))
    }

    private func startUploadSession(_ repository: String, query: [URLQueryItem], scopes: [String]) async throws -> URL {
        let url = try await url("\(repository)/blobs/uploads/", query: query)
        let response = try await send(
            RegistryRequest(method: .post, url: url, response: .discard, scopes: scopes, retries: false, success: [202])
        )
        return try location(of: response, after: url)
    }

    /// One PATCH; returns the session's next location.
    private func patch(_ repository: String, _ location: URL, body: HTTPRequestBody, range: ClosedRange<Int64>?)
        async throws -> URL
    {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/octet-stream")
        if let range { headers.add(name: "Content-Range", value: "\(range.lowerBound)-\(range.upperBound)") }
        let response = try await send(
            RegistryRequest(
                method: .patch, url: location, headers: headers, body: body, response: .discard,
                scopes: [Scope.push(repository)], retries: false, success: [202, 204]))
        return try self.location(of: response, after: location)
    }

    /// Sends the blob in PATCHes of at most `chunkSize` bytes (each held in memory in turn);
    /// `moved` hears of every new session location.
    private func patchInChunks(
        _ repository: String, _ start: URL, _ descriptor: Descriptor, chunkSize: Int64,
        content: @Sendable () async throws -> any ByteSource, moved: (URL) -> Void
    ) async throws -> URL {
        let source = try await content()
        defer { source.close() }
        var location = start
        var offset: Int64 = 0
        var pending = Data()
        var exhausted = false
        while !exhausted || !pending.isEmpty {
            while !exhausted, Int64(pending.count) < chunkSize {
                if let chunk = try await source.read() { pending.append(chunk) } else { exhausted = true }
            }
            let count = Int(min(chunkSize, Int64(pending.count)))
            guard count > 0 else { break }
            let chunk = pending.prefix(count)
            pending = Data(pending.dropFirst(count))
            location = try await patch(
                repository, location, body: .data(Data(chunk)), range: offset...(offset + Int64(count) - 1))
            moved(location)
            offset += Int64(count)
        }
        return location
    }

    /// `PUT <location>?digest=` (existing query kept), with the whole blob or nothing; expects 201.
    private func finishUpload(_ repository: String, _ location: URL, _ descriptor: Descriptor, body: HTTPRequestBody)
        async throws -> BlobTransfer
    {
        let url = try Self.adding(digest: descriptor.digest, to: location)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/octet-stream")
        let response = try await send(
            RegistryRequest(
                method: .put, url: url, headers: headers, body: body, response: .discard,
                scopes: [Scope.push(repository)], retries: false, success: [201, 204]))
        if let returned = response.headers["Docker-Content-Digest"], !returned.isEmpty,
            (try? Digest(parsing: returned)) != descriptor.digest
        {
            throw RegistryError(
                .digestMismatch, method: "PUT", url: url.absoluteString,
                message: "registry stored blob \(returned) for \(descriptor.digest)")
        }
        return .uploaded(bytes: descriptor.size)
    }

    /// The `Location` header resolved against the request URL (registries send both relative and
    /// absolute ones).
    func location(of response: HTTPResponse, after url: URL) throws -> URL {
        guard let value = response.location, !value.isEmpty,
            let resolved = URL(string: value, relativeTo: url)?.absoluteURL
        else {
            throw RegistryError(
                .invalidResponse, url: url.absoluteString, status: response.status,
                message: "the upload answer has no usable Location header")
        }
        return resolved
    }

    /// `url` with `digest=<digest>` appended to whatever query it already has.
    static func adding(digest: Digest, to url: URL) throws -> URL {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else {
            throw RegistryError(.invalidResponse, url: url.absoluteString, message: "upload location is not a URL")
        }
        let parameter = "digest=" + digest.description.replacingOccurrences(of: ":", with: "%3A")
        if let existing = components.percentEncodedQuery, !existing.isEmpty {
            components.percentEncodedQuery = existing + "&" + parameter
        } else {
            components.percentEncodedQuery = parameter
        }
        guard let result = components.url else {
            throw RegistryError(.invalidResponse, url: url.absoluteString, message: "upload location is not a URL")
        }
        return result
    }
}

/// Reports a blob that fails verification as a registry digest mismatch naming the URL.
final class RegistryVerifyingSource: ByteSource, CustomStringConvertible, @unchecked Sendable {
    private let inner: VerifyingByteSource
    private let url: URL

    init(wrapping inner: VerifyingByteSource, url: URL) {
        self.inner = inner
        self.url = url
    }

    func read() async throws -> Data? {
        do {
            return try await inner.read()
        } catch let error as OCIError where error.kind == .digestMismatch || error.kind == .sizeMismatch {
            throw RegistryError(.digestMismatch, method: "GET", url: url.absoluteString, message: error.message)
        } catch let error as HTTPClientError {
            throw RegistryError(.network, method: "GET", url: url.absoluteString, underlying: error)
        }
    }

    func close() { inner.close() }

    /// Where the bytes come from, for errors that must name the source.
    var description: String { RegistryError.redacted(url.absoluteString) }
}
