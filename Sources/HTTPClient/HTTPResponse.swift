import ByteStreams
import Foundation

/// The final response to a request (interim 1xx responses are dropped).
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    /// The URL that answered, as curl saw it.
    public let effectiveURL: String
    /// The collected body; empty for `.discard` and `.stream`.
    public let body: Data
    private let stream: (any ByteSource)?

    /// Public so that code built on the client can be tested with made-up responses.
    public init(
        status: Int, headers: HTTPHeaders = HTTPHeaders(), effectiveURL: String, body: Data = Data(),
        stream: (any ByteSource)? = nil
    ) {
        self.status = status
        self.headers = headers
        self.effectiveURL = effectiveURL
        self.body = body
        self.stream = stream
    }

    /// The body as a byte source: the live transfer for `.stream`, else the collected bytes.
    ///
    /// A streamed body must be read to the end or closed, or its connection stays busy.
    public var bodyStream: any ByteSource {
        stream ?? DataByteSource(body)
    }

    /// The `Location` header of a redirect or an upload session.
    public var location: String? { headers["Location"] }
}
