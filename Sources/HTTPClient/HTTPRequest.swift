import ByteStreams
import Foundation

/// One HTTP exchange to perform. Nothing here is followed automatically: a redirect comes back as
/// a 3xx response with its `Location` header.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var url: URL
    public var headers: HTTPHeaders
    public var body: HTTPRequestBody
    /// What to do with the response body.
    public var response: HTTPResponseBodyMode
    /// Timeouts and TLS settings for this request; `nil` uses the client's defaults.
    public var options: HTTPTransferOptions?

    public init(
        method: HTTPMethod,
        url: URL,
        headers: HTTPHeaders = HTTPHeaders(),
        body: HTTPRequestBody = .none,
        response: HTTPResponseBodyMode = .collect(limit: 4 << 20),
        options: HTTPTransferOptions? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.response = response
        self.options = options
    }
}

/// A request body. A stream is described by a factory so that whoever retries can send it again.
public enum HTTPRequestBody: Sendable {
    case none
    case data(Data)
    /// Bytes made on demand; `length` is sent as `Content-Length`, or chunked encoding is used when nil.
    case stream(length: Int64?, makeSource: @Sendable () async throws -> any ByteSource)

    /// The number of bytes the body will have, when known in advance.
    public var knownLength: Int64? {
        switch self {
        case .none: 0
        case .data(let data): Int64(data.count)
        case .stream(let length, _): length
        }
    }
}

/// How the response body reaches the caller.
public enum HTTPResponseBodyMode: Sendable {
    /// Read and dropped; only status and headers are returned.
    case discard
    /// Held in memory; a body over `limit` bytes fails the request with `.bodyTooLarge`.
    case collect(limit: Int)
    /// Returned as soon as the headers arrive; the body is read from `HTTPResponse.bodyStream`, and
    /// the transfer pauses while more than `bufferSize` bytes wait for the reader.
    case stream(bufferSize: Int = 1 << 20)
}

/// Per-request transfer settings.
public struct HTTPTransferOptions: Sendable, Equatable {
    /// Time allowed to open the TCP connection and finish the TLS handshake.
    public var connectTimeout: Duration
    /// The transfer fails when fewer than `stallMinimumBytesPerSecond` move for this long.
    public var stallTimeout: Duration
    public var stallMinimumBytesPerSecond: Int
    /// A limit on the whole exchange, body included; `nil` means none.
    public var overallTimeout: Duration?
    /// PEM file of certificate authorities to trust instead of the system's.
    public var caFile: String?
    /// Accept any certificate and host name. Only for registries the user names as insecure.
    public var insecureSkipTLSVerify: Bool

    public init(
        connectTimeout: Duration = .seconds(30),
        stallTimeout: Duration = .seconds(60),
        stallMinimumBytesPerSecond: Int = 1,
        overallTimeout: Duration? = nil,
        caFile: String? = nil,
        insecureSkipTLSVerify: Bool = false
    ) {
        self.connectTimeout = connectTimeout
        self.stallTimeout = stallTimeout
        self.stallMinimumBytesPerSecond = stallMinimumBytesPerSecond
        self.overallTimeout = overallTimeout
        self.caFile = caFile
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
    }
}
