import Foundation

/// Why an HTTP exchange failed, naming the method and URL (never headers, userinfo or query).
public struct HTTPClientError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, Equatable {
        case invalidURL = "invalid URL"
        case invalidRequest = "invalid request"
        case connectFailed = "could not connect"
        case timedOut = "timed out"
        case tlsFailure = "TLS failure"
        case connectionLost = "connection lost"
        case bodyTooLarge = "response body too large"
        case bodySourceFailed = "request body could not be read"
        case cancelled = "cancelled"
        case transferFailed = "transfer failed"
    }

    public let code: Code
    public let method: HTTPMethod
    /// The request URL without userinfo, query or fragment.
    public let url: String
    /// What went wrong, in words (curl's explanation where there is one).
    public let detail: String
    /// The libcurl result code, when curl reported the failure.
    public let curlCode: Int?
    /// The error a request body source threw.
    public let underlying: (any Error)?

    public init(
        code: Code, method: HTTPMethod, url: String, detail: String, curlCode: Int? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.method = method
        self.url = Self.redacted(url)
        self.detail = detail
        self.curlCode = curlCode
        self.underlying = underlying
    }

    /// Whether the same request may succeed if sent again.
    public var isRetryable: Bool {
        switch code {
        case .connectFailed, .timedOut, .connectionLost: true
        case .bodySourceFailed: (underlying as? HTTPClientError)?.isRetryable ?? false
        case .invalidURL, .invalidRequest, .tlsFailure, .bodyTooLarge, .cancelled, .transferFailed: false
        }
    }

    public var description: String {
        "\(method.rawValue) \(url): \(problem)"
    }

    /// What went wrong, without the method and URL (for callers that already name them).
    public var problem: String {
        let curl = curlCode.map { " (curl error \($0))" } ?? ""
        return "\(code.rawValue): \(detail)\(curl)"
    }

    /// `url` with userinfo, query and fragment removed: those may carry credentials or upload state.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.scheme != nil else {
            return "<unparsable URL>"
        }
        let hadQuery = components.query != nil
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        let base = components.string ?? "<unparsable URL>"
        return hadQuery ? base + "?…" : base
    }
}

extension HTTPClientError.Code {
    /// How a libcurl result code is reported. Aborts from our own callbacks are classified by the
    /// transfer, which knows why it aborted.
    public init(curlCode: Int) {
        switch curlCode {
        case 1, 3: self = .invalidURL  // unsupported protocol, malformed URL
        case 5, 6, 7: self = .connectFailed  // could not resolve proxy / host, could not connect
        case 28: self = .timedOut
        case 35, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91, 98: self = .tlsFailure
        case 16, 18, 52, 55, 56, 65, 92, 95: self = .connectionLost  // HTTP/2, partial, empty reply, send/recv
        default: self = .transferFailed
        }
    }
}
