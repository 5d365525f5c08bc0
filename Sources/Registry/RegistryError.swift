import Foundation
import HTTPClient

/// A registry operation that failed: what was asked, what the registry answered, and whether
/// asking again may help.
///
/// Messages name the method, the URL (without query, which may carry upload state) and the
/// registry's own error codes; never headers, tokens or passwords.
public struct RegistryError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable, Equatable {
        /// The request never got an HTTP answer (connection, TLS, timeout).
        case network
        /// 401: no credentials, wrong credentials, or a token that was refused after one refresh.
        case unauthorized
        /// 403.
        case denied
        /// 404: the repository, manifest, blob or upload is unknown.
        case notFound
        /// 408, 429, 500, 502, 503, 504: the registry is busy or broken for now.
        case unavailable
        /// Any other unexpected status.
        case unexpectedStatus
        /// Content that does not match its digest or size.
        case digestMismatch
        /// A response that breaks the protocol (missing header, bad JSON, bad Location).
        case invalidResponse
        /// The operation is not offered by this registry or for this input.
        case unsupported
    }

    /// One entry of the registry's `{"errors":[…]}` body.
    public struct Detail: Sendable, Equatable {
        public var code: String
        public var message: String
        /// The `detail` value as compact JSON, when there was one.
        public var detail: String?

        public init(code: String, message: String, detail: String? = nil) {
            self.code = code
            self.message = message
            self.detail = detail
        }
    }

    public var kind: Kind
    public var method: String?
    public var url: String?
    public var status: Int?
    public var errors: [Detail]
    /// How long the registry asked us to wait (`Retry-After`).
    public var retryAfter: Duration?
    /// Extra words on what went wrong.
    public var message: String?
    /// The transport failure, for `.network`.
    public var underlying: (any Error)?
    /// True for a 401 that follows ocibatch keeping the credentials from a plain-http token realm
    /// on another host: the stored credentials may be right; `message` says what to allow.
    public var credentialsWithheld = false

    public init(
        _ kind: Kind, method: String? = nil, url: String? = nil, status: Int? = nil, errors: [Detail] = [],
        retryAfter: Duration? = nil, message: String? = nil, underlying: (any Error)? = nil
    ) {
        self.kind = kind
        self.method = method
        self.url = url.map(Self.redacted)
        self.status = status
        self.errors = errors
        self.retryAfter = retryAfter
        self.message = message
        self.underlying = underlying
    }

    /// Network failures that may pass, and 408, 429, 500, 502, 503, 504.
    public var isRetryable: Bool {
        switch kind {
        case .network: (underlying as? HTTPClientError)?.isRetryable ?? true
        case .unavailable: true
        case .unauthorized, .denied, .notFound, .unexpectedStatus, .digestMismatch, .invalidResponse, .unsupported:
            false
        }
    }

    /// True for 404, the answer that means "not there" to existence checks.
    public var isNotFound: Bool { kind == .notFound }

    public var description: String {
        var text = [method, url].compactMap { $0 }.joined(separator: " ")
        var problem: [String] = []
        if let status { problem.append("HTTP \(status)") }
        if let message { problem.append(message) }
        switch errors.count {
        case 0: break
        case 1: problem.append(Self.describe(errors[0]))
        default: problem.append("multiple errors: " + errors.map(Self.describe).joined(separator: "; "))
        }
        if let underlying {
            let transport = underlying as? HTTPClientError
            problem.append(transport.flatMap { text.isEmpty ? nil : $0.problem } ?? String(describing: underlying))
        }
        if let retryAfter { problem.append("retry after \(retryAfter.components.seconds) s") }
        if problem.isEmpty { problem.append(kind.rawValue) }
        text += text.isEmpty ? "" : ": "
        return text + problem.joined(separator: ": ")
    }

    private static func describe(_ detail: Detail) -> String {
        var text = "\(detail.code): \(detail.message)"
        if let extra = detail.detail { text += "; \(extra.prefix(300))" }
        return text
    }

    /// The kind a status falls into.
    static func kind(forStatus status: Int) -> Kind {
        switch status {
        case 401: .unauthorized
        case 403: .denied
        case 404: .notFound
        case 408, 429, 500, 502, 503, 504: .unavailable
        default: .unexpectedStatus
        }
    }

    /// The registry's error list from a JSON body; empty when the body is not one.
    static func decodeErrors(_ body: Data) -> [Detail] {
        guard !body.isEmpty, let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let list = object["errors"] as? [[String: Any]]
        else { return [] }
        return list.map { entry in
            var detailText: String?
            if let detail = entry["detail"], !(detail is NSNull) {
                if let text = detail as? String {
                    detailText = text
                } else if JSONSerialization.isValidJSONObject(detail),
                    let data = try? JSONSerialization.data(
                        withJSONObject: detail, options: [.sortedKeys, .withoutEscapingSlashes])
                {
                    detailText = String(decoding: data, as: UTF8.self)
                } else {
                    detailText = "\(detail)"
                }
            }
            return Detail(
                code: entry["code"] as? String ?? "UNKNOWN", message: entry["message"] as? String ?? "",
                detail: detailText)
        }
    }

    /// `Retry-After` as delay-seconds or an HTTP date.
    static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let text = value?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let seconds = Int(text), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return .seconds(max(0, Int(date.timeIntervalSince(now).rounded(.up))))
    }

    /// A URL without userinfo, query or fragment.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.scheme != nil else { return url }
        let hadQuery = components.query != nil
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return (components.string ?? url) + (hadQuery ? "?…" : "")
    }
}
