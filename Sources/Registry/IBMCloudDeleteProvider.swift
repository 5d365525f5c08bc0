import Foundation
import HTTPClient
import OCI

/// IBM Cloud Container Registry (`icr.io`, `*.icr.io`): an IAM API key (user `iamapikey`) is
/// exchanged for an access token, the account id is read from the token's `account.bss` claim,
/// and the registry's own image API deletes the reference.
public struct IBMCloudDeleteProvider: DeleteProvider {
    let session: RegistrySession
    /// IAM's base URL; nil picks production, or the test IAM for `stg.icr.io`.
    let iam: URL?
    /// The registry API's base URL; nil means `https://<registry host>`.
    let registryAPI: URL?

    static let apiKeyUser = "iamapikey"

    public func plan(_ reference: Reference) async throws -> [DeleteAction] {
        [.deleteImage(reference: reference.description)]
    }

    public func execute(_ actions: [DeleteAction]) async throws {
        for action in actions {
            guard case .deleteImage(let text) = action else {
                throw RegistryError(.unsupported, message: "IBM Cloud Container Registry cannot carry out \(action)")
            }
            try await deleteImage(try Reference(parsing: text))
        }
    }

    private func deleteImage(_ reference: Reference) async throws {
        let host = reference.registry.lowercased()
        let credentials = try await session.client(for: host).credentials()
        guard credentials.username == Self.apiKeyUser, let apiKey = credentials.password else {
            throw RegistryError(
                .unauthorized,
                message: "the credentials for \(host) are not an IBM Cloud API key (user \(Self.apiKeyUser))")
        }
        let token = try await exchangeAPIKey(apiKey, host: host)
        let base = registryAPI ?? URL(string: "https://\(host)")
        var components = base.flatMap { URLComponents(url: $0, resolvingAgainstBaseURL: true) }
        let basePath = components?.percentEncodedPath ?? ""
        components?.percentEncodedPath =
            (basePath.hasSuffix("/") ? String(basePath.dropLast()) : basePath) + "/api/v1/images/"
            + FormEncoding.escape(reference.description)
        guard let url = components?.url else {
            throw RegistryError(.invalidResponse, message: "cannot make the IBM delete URL for \(reference)")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Account", value: token.account)
        headers.add(name: "Authorization", value: token.authorization)
        headers.add(name: "Accept", value: "application/json")
        let response = try await session.exchange.execute(HTTPRequest(method: .delete, url: url, headers: headers))
        guard response.status == 200 else {
            throw DockerHubDeleteProvider.apiError(
                response, method: "DELETE", url: url, what: "IBM image delete of \(reference)")
        }
    }

    struct IAMToken {
        var authorization: String
        var account: String
    }

    /// The IAM API-key grant, form-encoded.
    private func exchangeAPIKey(_ apiKey: String, host: String) async throws -> IAMToken {
        let staging = host == "stg.icr.io" || host.hasSuffix(".stg.icr.io")
        let base = iam ?? URL(string: staging ? "https://iam.test.cloud.ibm.com" : "https://iam.cloud.ibm.com")
        guard let url = base?.appendingPathComponent("identity/token") else {
            throw RegistryError(.invalidResponse, message: "IAM base URL is not usable")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        headers.add(name: "Accept", value: "application/json")
        let form = FormEncoding.encode([("grant_type", "urn:ibm:params:oauth:grant-type:apikey"), ("apikey", apiKey)])
        let response = try await session.exchange.execute(
            HTTPRequest(method: .post, url: url, headers: headers, body: .data(Data(form.utf8))))
        guard response.status == 200 else {
            let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any]
            var message = "IAM refused the API key exchange"
            if let text = object?["errorMessage"] as? String {
                message += ": \(text.prefix(300))"
                if let code = object?["errorCode"] as? String { message += " (\(code))" }
            }
            throw RegistryError(
                RegistryError.kind(forStatus: response.status == 400 ? 401 : response.status), method: "POST",
                url: url.absoluteString, status: response.status, message: message)
        }
        let object = try APIExchange.jsonObject(response, what: "IAM token")
        guard let accessToken = object["access_token"] as? String, !accessToken.isEmpty else {
            throw RegistryError(.invalidResponse, url: url.absoluteString, message: "IAM answer has no access_token")
        }
        guard let account = Self.accountID(fromJWT: accessToken) else {
            throw RegistryError(
                .invalidResponse, url: url.absoluteString,
                message: "IAM token carries no account id (claim account.bss)")
        }
        let type = (object["token_type"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "Bearer"
        return IAMToken(authorization: "\(type) \(accessToken)", account: account)
    }

    /// The `account.bss` claim of a JWT, read without checking the signature (IAM just issued it).
    static func accountID(fromJWT token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var payload = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        guard let data = Data(base64Encoded: payload),
            let claims = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        let nested = (claims["account"] as? [String: Any])?["bss"] as? String
        let flat = claims["account.bss"] as? String
        guard let account = nested ?? flat, !account.isEmpty else { return nil }
        return account
    }
}
