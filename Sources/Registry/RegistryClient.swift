import ByteStreams
import Foundation
import HTTPClient
import ImageTransports

/// One registry request before authentication: the registry client adds credentials, follows
/// redirects, retries and checks the status.
struct RegistryRequest: Sendable {
    var method: HTTPMethod
    var url: URL
    var headers: HTTPHeaders = HTTPHeaders()
    /// A stream body's factory is called again for every resend.
    var body: HTTPRequestBody = .none
    var response: HTTPResponseBodyMode = .collect(limit: 1 << 20)
    /// The token scopes the request needs, `repository:<name>:pull` or `…:push,pull`.
    var scopes: [String] = []
    /// False for steps of a multi-request exchange (an upload session) that must be redone as a whole.
    var retries = true
    /// Statuses that count as success; any other is turned into a `RegistryError`.
    var success: Set<Int> = [200]
    /// A limit on each exchange as a whole, for clean-up requests that must not hang.
    var timeout: Duration?
}

/// The distribution API of one registry host.
///
/// Every call goes through `send`, which owns authentication (anonymous, Basic, Bearer with cached
/// tokens, one refresh after a 401), manual redirects (credentials never follow to another host),
/// retries of retryable failures and status checking.
public final class RegistryClient: Sendable {
    /// The registry as references name it (`docker.io`): what credentials are stored under.
    public let name: String
    /// `host[:port]` as requests address it.
    public let host: String
    let configuration: RegistryConfiguration
    let http: HTTPClient
    let tokens: TokenCache
    let state = ClientState()

    init(name: String, host: String, configuration: RegistryConfiguration, http: HTTPClient, tokens: TokenCache) {
        self.name = name
        self.host = host
        self.configuration = configuration
        self.http = http
        self.tokens = tokens
    }

    /// What the client learnt about its registry: the scheme it answers on, how it authenticates
    /// and the credentials to use.
    final class ClientState: @unchecked Sendable {
        let lock = NSLock()
        var scheme: Task<String, any Error>?
        var authentication: Authentication = .unknown
        var credentials: Task<Credentials, any Error>?
        /// A plain-http token realm on another host that the credentials were kept from.
        var credentialsWithheldFrom: URL?
        /// Blob uploads under way, by `repository@digest`: a second push of the same blob waits for the first.
        let uploads = LockedDictionary<String, Task<BlobTransfer, any Error>>()
        /// Pushes that found the same blob already on its way and waited for it (observed by tests).
        var joinedUploads = 0
    }

    enum Authentication: Sendable, Equatable {
        case unknown
        case anonymous
        case basic
        case bearer(realm: URL, service: String?)
    }

    // MARK: URLs

    /// `scheme://host/v2/<path>` with `query` appended.
    func url(_ path: String, query: [URLQueryItem] = []) async throws -> URL {
        var components = URLComponents()
        components.scheme = try await scheme()
        components.percentEncodedHost = hostOnly
        components.port = port
        components.percentEncodedPath = "/v2/" + path
        if !query.isEmpty { components.queryItems = query }
        guard let url = components.url else {
            throw RegistryError(.invalidResponse, message: "cannot make a URL for \(host)/v2/\(path)")
        }
        return url
    }

    private var hostOnly: String {
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") { return String(host[...end]) }
        guard let colon = host.lastIndex(of: ":") else { return host }
        return String(host[..<colon])
    }

    private var port: Int? {
        guard !host.hasSuffix("]"), let colon = host.lastIndex(of: ":") else { return nil }
        return Int(host[host.index(after: colon)...])
    }

    /// True when `url` points at this registry (same host and port; scheme may differ).
    func isRegistryURL(_ url: URL) -> Bool {
        guard let urlHost = url.host?.lowercased() else { return false }
        let defaultPort = url.scheme == "http" ? 80 : 443
        let registryPort = port ?? defaultPort
        return urlHost.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            == hostOnly.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            && (url.port ?? defaultPort) == registryPort
    }

    /// True when `url` names the registry's host, whatever the port (a token server beside it).
    func isRegistryHostName(_ url: URL) -> Bool {
        url.host?.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            == hostOnly.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    }

    /// https, or for a registry named insecure whatever it answers on (https first, then http).
    func scheme() async throws -> String {
        let task = state.lock.withLock { () -> Task<String, any Error> in
            if let existing = state.scheme { return existing }
            let made = Task { try await self.probeScheme() }
            state.scheme = made
            return made
        }
        do {
            return try await task.value
        } catch {
            state.lock.withLock { state.scheme = nil }
            throw error
        }
    }

    private func probeScheme() async throws -> String {
        guard configuration.isInsecure(host) else { return "https" }
        if configuration.isPlainHTTP(host) { return "http" }
        guard let probe = URL(string: "https://\(host)/v2/") else { return "http" }
        var options = configuration.transferOptions(for: host)
        options.connectTimeout = min(options.connectTimeout, .seconds(10))
        do {
            _ = try await http.execute(HTTPRequest(method: .get, url: probe, response: .discard, options: options))
            return "https"
        } catch let error as HTTPClientError where error.code != .cancelled {
            return "http"
        }
    }

    // MARK: The one request path

    /// Sends `request` with authentication, redirects and retries; returns a response whose status
    /// is in `request.success`, or throws a `RegistryError`.
    func send(_ request: RegistryRequest) async throws -> HTTPResponse {
        guard request.retries else { return try await sendOnce(request) }
        return try await withRetries { try await self.sendOnce(request) }
    }

    /// Runs `operation`, retrying retryable registry errors as the retry policy allows.
    func withRetries<Value>(_ operation: () async throws -> Value) async throws -> Value {
        let policy = configuration.retryPolicy
        var retry = 1
        while true {
            do {
                return try await operation()
            } catch let error as RegistryError where error.isRetryable {
                guard let delay = policy.delay(beforeRetry: retry, retryAfter: error.retryAfter) else { throw error }
                try await policy.sleep(delay)
                retry += 1
            }
        }
    }

    private func sendOnce(_ request: RegistryRequest) async throws -> HTTPResponse {
        let response = try await sendAuthenticated(request)
        guard request.success.contains(response.status) else {
            var failure = await error(for: response, method: request.method, url: request.url)
            if response.status == 401, let withheld = withheldCredentialsMessage() {
                failure.message = withheld
                failure.credentialsWithheld = true
            }
            throw failure
        }
        return response
    }

    /// Turns an unexpected response into an error, reading (a bounded part of) its body.
    func error(for response: HTTPResponse, method: HTTPMethod, url: URL, message: String? = nil) async
        -> RegistryError
    {
        var body = response.body
        if body.isEmpty, method != .head {
            let stream = response.bodyStream
            body = (try? await stream.readAll(limit: 64 << 10)) ?? Data()
            stream.close()
        }
        return RegistryError(
            RegistryError.kind(forStatus: response.status), method: method.rawValue, url: url.absoluteString,
            status: response.status,
            errors: RegistryError.decodeErrors(body),
            retryAfter: RegistryError.parseRetryAfter(response.headers["Retry-After"]), message: message)
    }

    /// One exchange with authentication: credentials as learnt so far; on a 401, learn the
    /// challenge (or drop a refused token) and send once more.
    private func sendAuthenticated(_ request: RegistryRequest) async throws -> HTTPResponse {
        var extraScope: String?
        var resent = false
        while true {
            let authentication = state.lock.withLock { state.authentication }
            let authorization = try await self.authorization(
                for: authentication, scopes: request.scopes + [extraScope].compactMap { $0 })
            let response = try await sendFollowingRedirects(request, authorization: authorization?.header)
            guard response.status == 401 else { return response }
            if let key = authorization?.tokenKey, let token = authorization?.token {
                await tokens.invalidate(key, token: token)
            }
            guard !resent else { return response }
            let challenges = AuthChallenge.parse(
                response.headers.values(for: "WWW-Authenticate").joined(separator: ", "))
            guard let learnt = Self.authentication(from: challenges) else { return response }
            if learnt == .basic, try await credentials().basicAuthorization == nil {
                state.lock.withLock { state.authentication = .anonymous }
                return response
            }
            state.lock.withLock { state.authentication = learnt }
            if let scope = challenges.first(where: { $0.scheme == "bearer" })?.scope,
                !Scope.covers(request.scopes, scope)
            {
                extraScope = scope
            }
            if case .stream = request.response { response.bodyStream.close() }
            resent = true
        }
    }

    /// Sends one request, following redirects by hand; Authorization and the docker config's
    /// headers go only to the registry itself.
    private func sendFollowingRedirects(_ request: RegistryRequest, authorization: String?) async throws
        -> HTTPResponse
    {
        var url = request.url
        var method = request.method
        var body = request.body
        for _ in 0..<8 {
            var headers = request.headers
            let toRegistry = isRegistryURL(url)
            if toRegistry {
                for (name, value) in configuration.dockerConfig.httpHeaders where !headers.contains(name) {
                    headers.add(name: name, value: value)
                }
                if let authorization { headers.replaceOrAdd(name: "Authorization", value: authorization) }
            }
            var options: HTTPTransferOptions?
            if let timeout = request.timeout {
                options = configuration.transferOptions(for: url.hostAndPort)
                options?.overallTimeout = timeout
            }
            let response = try await execute(
                HTTPRequest(
                    method: method, url: url, headers: headers, body: body, response: request.response,
                    options: options))
            guard [301, 302, 303, 307, 308].contains(response.status) else { return response }
            guard let location = response.location, let next = URL(string: location, relativeTo: url)?.absoluteURL
            else { return response }
            if case .stream = request.response { response.bodyStream.close() }
            if next.scheme == "http", url.scheme == "https", !configuration.isInsecure(next.hostAndPort) {
                throw RegistryError(
                    .invalidResponse, method: method.rawValue, url: url.absoluteString,
                    message:
                        "refusing a redirect from https to plain http (\(RegistryError.redacted(next.absoluteString)))")
            }
            if response.status == 303 || (method == .post && response.status != 307 && response.status != 308) {
                method = method == .head ? .head : .get
                body = .none
            }
            url = next
        }
        throw RegistryError(
            .invalidResponse, method: request.method.rawValue, url: request.url.absoluteString,
            message: "too many redirects")
    }

    /// Sends one HTTP request; transport failures become `.network` registry errors.
    func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await APIExchange(http: http, configuration: configuration)
            .execute(request, allowPlainHTTP: configuration.isInsecure(host))
    }
}

extension URL {
    /// `host` or `host:port`, as registries are named.
    var hostAndPort: String {
        guard let host else { return "" }
        guard let port else { return host }
        return "\(host):\(port)"
    }
}
