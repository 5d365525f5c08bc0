import Foundation
import HTTPClient

/// One HTTP exchange with the run's settings (CA file, TLS verification, timeouts) for the
/// request's host; transport failures become `.network` registry errors.
///
/// Registry calls and the Docker Hub and IBM Cloud API calls all go through it, so they share the
/// same HTTP stack, user agent and cancellation.
struct APIExchange: Sendable {
    let http: HTTPClient
    let configuration: RegistryConfiguration

    /// `allowPlainHTTP` is set for requests on behalf of a registry named insecure (its token realm,
    /// its redirects); otherwise http needs the request's own host named insecure.
    func execute(_ request: HTTPRequest, allowPlainHTTP: Bool = false) async throws -> HTTPResponse {
        var request = request
        if request.options == nil { request.options = configuration.transferOptions(for: request.url.hostAndPort) }
        if request.url.scheme == "http", !allowPlainHTTP, !configuration.isInsecure(request.url.hostAndPort) {
            throw RegistryError(
                .invalidResponse, method: request.method.rawValue, url: request.url.absoluteString,
                message: "plain http is only used for registries named insecure")
        }
        do {
            return try await http.execute(request)
        } catch let error as HTTPClientError {
            if error.code == .cancelled { throw CancellationError() }
            if error.code == .bodyTooLarge {
                throw RegistryError(
                    .invalidResponse, method: request.method.rawValue, url: request.url.absoluteString,
                    message: "the answer is larger than ocibatch accepts here (\(error.detail))")
            }
            if error.code == .bodySourceFailed, let underlying = error.underlying, !(underlying is HTTPClientError) {
                throw underlying
            }
            throw RegistryError(
                .network, method: request.method.rawValue, url: request.url.absoluteString, underlying: error)
        }
    }

    /// A JSON object answer, or an error naming `what` when the body is not one.
    static func jsonObject(_ response: HTTPResponse, what: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            throw RegistryError(
                .invalidResponse, url: response.effectiveURL, status: response.status,
                message: "\(what) answer is not a JSON object")
        }
        return object
    }
}

extension RegistrySession {
    var exchange: APIExchange { APIExchange(http: http, configuration: configuration) }
}
