import Foundation
import HTTPClient

/// What to send as `Authorization`, and the cached token it came from (to drop it if refused).
struct AuthorizationValue: Sendable {
    var header: String
    var tokenKey: TokenCache.Key?
    var token: String?
}

extension RegistryClient {
    /// The credentials for this registry (by its name, so a stand-in endpoint gets the real
    /// registry's): given directly, else from the docker config (helpers first). Looked up once.
    func credentials() async throws -> Credentials {
        if let given = configuration.credentials[name] ?? configuration.credentials[host] { return given }
        let task = state.lock.withLock { () -> Task<Credentials, any Error> in
            if let existing = state.credentials { return existing }
            let configuration = configuration
            let name = name
            let made = Task {
                try await configuration.dockerConfig.credentials(for: name, helpers: configuration.credentialHelpers)
            }
            state.credentials = made
            return made
        }
        return try await task.value
    }

    /// Bearer when offered (it works for anonymous pulls too), else Basic.
    static func authentication(from challenges: [AuthChallenge]) -> Authentication? {
        if let bearer = challenges.first(where: { $0.scheme == "bearer" }), let realmText = bearer.realm,
            let realm = URL(string: realmText), realm.scheme == "https" || realm.scheme == "http"
        {
            return .bearer(realm: realm, service: bearer.service)
        }
        if challenges.contains(where: { $0.scheme == "basic" }) { return .basic }
        return nil
    }

    /// The Authorization header for the authentication learnt so far, fetching a token if needed.
    func authorization(for authentication: Authentication, scopes: [String]) async throws -> AuthorizationValue? {
        switch authentication {
        case .unknown, .anonymous:
            return nil
        case .basic:
            return try await credentials().basicAuthorization.map { AuthorizationValue(header: $0) }
        case .bearer(let realm, let service):
            let credentials = try await credentials()
            if let registryToken = credentials.registryToken {
                return AuthorizationValue(header: "Bearer " + registryToken)
            }
            let key = TokenCache.Key(
                registry: host, realm: realm.absoluteString, service: service ?? "",
                scope: scopes.joined(separator: " "))
            let token = try await tokens.token(for: key) {
                try await self.fetchToken(realm: realm, service: service, scopes: scopes, credentials: credentials)
            }
            return AuthorizationValue(header: "Bearer " + token, tokenKey: key, token: token)
        }
    }

    /// Asks the realm for a token: the OAuth2 refresh-token grant for an identity token, else a GET
    /// with Basic credentials (sent only over https or to the registry's own host name).
    func fetchToken(realm: URL, service: String?, scopes: [String], credentials: Credentials) async throws
        -> TokenCache.Issued
    {
        if realm.scheme != "https", !configuration.isInsecure(host), !configuration.isInsecure(realm.hostAndPort) {
            throw RegistryError(
                .invalidResponse, url: realm.absoluteString,
                message: "token realm uses plain http but neither \(host) nor the realm is named insecure")
        }
        let credentialsAllowed = mayReceiveCredentials(realm)
        if !credentialsAllowed, credentials.hasSecret {
            state.lock.withLock { state.credentialsWithheldFrom = realm }
        }
        return try await withRetries {
            if let identityToken = credentials.identityToken, credentialsAllowed {
                var form = [
                    ("grant_type", "refresh_token"), ("refresh_token", identityToken), ("client_id", "ocibatch"),
                ]
                if let service { form.append(("service", service)) }
                if !scopes.isEmpty { form.append(("scope", scopes.joined(separator: " "))) }
                var headers = configHeaders()
                headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                let response = try await execute(
                    HTTPRequest(
                        method: .post, url: realm, headers: headers, body: .data(Data(FormEncoding.encode(form).utf8)),
                        response: .collect(limit: 1 << 20)))
                if response.status != 404 && response.status != 405 {
                    return try await tokenAnswer(response, method: .post, realm: realm)
                }
            }
            var components = URLComponents(url: realm, resolvingAgainstBaseURL: true)
            var query = components?.queryItems ?? []
            if let service { query.append(URLQueryItem(name: "service", value: service)) }
            for scope in scopes { query.append(URLQueryItem(name: "scope", value: scope)) }
            components?.queryItems = query.isEmpty ? nil : query
            guard let url = components?.url else {
                throw RegistryError(
                    .invalidResponse, message: "token realm \(realm.absoluteString) is not a usable URL")
            }
            var headers = configHeaders()
            if let basic = credentials.basicAuthorization, credentialsAllowed {
                headers.add(name: "Authorization", value: basic)
            }
            let response = try await execute(
                HTTPRequest(method: .get, url: url, headers: headers, response: .collect(limit: 1 << 20)))
            return try await tokenAnswer(response, method: .get, realm: url)
        }
    }

    /// Credentials (password, identity token) go to a token realm only over https or to the
    /// registry's own host: never in clear text to some other machine the registry's challenge
    /// names, even one named insecure (that allows plain http, not handing it secrets).
    func mayReceiveCredentials(_ realm: URL) -> Bool {
        realm.scheme == "https" || isRegistryHostName(realm)
    }

    /// Why a 401 may be ocibatch's own doing: the credentials were kept from a plain-http realm.
    func withheldCredentialsMessage() -> String? {
        guard let realm = state.lock.withLock({ state.credentialsWithheldFrom }) else { return nil }
        return "credentials for \(name) were not sent to the token service at "
            + "\(RegistryError.redacted(realm.absoluteString)) because it is plain http on another host; "
            + "the token service must use https, or be reached on the registry's own host name"
    }

    /// The docker config's `HttpHeaders`, which docker also sends to the token realm.
    private func configHeaders() -> HTTPHeaders {
        HTTPHeaders(
            configuration.dockerConfig.httpHeaders.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) })
    }

    private func tokenAnswer(_ response: HTTPResponse, method: HTTPMethod, realm: URL) async throws
        -> TokenCache.Issued
    {
        guard response.status == 200 else {
            var refused = await error(
                for: response, method: method, url: realm, message: "token server refused the request")
            if response.status == 401, let withheld = withheldCredentialsMessage() {
                refused.message = withheld
                refused.credentialsWithheld = true
            }
            throw refused
        }
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
            let token = (object["access_token"] as? String).flatMap({ $0.isEmpty ? nil : $0 })
                ?? (object["token"] as? String).flatMap({ $0.isEmpty ? nil : $0 })
        else {
            throw RegistryError(
                .invalidResponse, method: method.rawValue, url: realm.absoluteString,
                message: "token server answer has neither \"token\" nor \"access_token\"")
        }
        let lifetime = (object["expires_in"] as? NSNumber).map { Duration.seconds($0.doubleValue) }
        return TokenCache.Issued(token: token, lifetime: lifetime)
    }
}

/// `application/x-www-form-urlencoded`, as HTML forms and OAuth2 token endpoints expect it.
enum FormEncoding {
    private static let unreserved = CharacterSet(
        charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._*")

    /// One value: space becomes `+`, everything but unreserved characters is percent-encoded.
    static func escape(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false)
            .map { $0.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "" }
            .joined(separator: "+")
    }

    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }
}
