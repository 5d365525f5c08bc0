import ByteStreams
import Foundation

/// A generic HTTP/1.1 and HTTP/2 client on libcurl.
///
/// Every transfer runs on one dedicated thread (curl's multi interface), so N concurrent calls are
/// N requests on the wire whatever the core count; callers only suspend. Connections are reused
/// across requests. Redirects are returned, not followed. Non-2xx statuses are not errors here.
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    private let engine: CurlEngine

    public init(configuration: HTTPClientConfiguration) {
        self.configuration = configuration
        engine = CurlEngine(configuration: configuration)
    }

    deinit {
        engine.shutdown()
    }

    /// Performs `request` and returns its final response; for `.stream` bodies, as soon as the
    /// headers are in.
    ///
    /// Throws `HTTPClientError` for transport failures and `CancellationError` when the calling task
    /// is cancelled (the transfer is then abandoned and its connection closed).
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        try Task.checkCancellation()
        let transfer = try Transfer(
            request: request, options: request.options ?? configuration.defaultOptions,
            userAgent: configuration.userAgent, statistics: engine.statistics)
        let engine = engine
        switch request.body {
        case .none:
            if transfer.uploads { transfer.feeder = RequestBodyFeeder(data: Data(), statistics: engine.statistics) }
        case .data(let data): transfer.feeder = RequestBodyFeeder(data: data, statistics: engine.statistics)
        case .stream(let length, let makeSource):
            transfer.feeder = RequestBodyFeeder(
                makeSource: makeSource, length: length, statistics: engine.statistics,
                resumeTransfer: { [weak transfer] in if let transfer { engine.resume(transfer) } })
        }
        if case .stream(let bufferSize) = request.response {
            transfer.stream = ResponseBodyStream(
                capacity: bufferSize, statistics: engine.statistics,
                resumeTransfer: { [weak transfer] in if let transfer { engine.resume(transfer) } },
                cancelTransfer: { [weak transfer] in if let transfer { engine.cancel(transfer) } })
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if transfer.attach(continuation) { engine.submit(transfer) }
            }
        } onCancel: {
            engine.cancel(transfer)
        }
    }

    /// Counters since the client was made.
    public var statistics: HTTPClientStatistics { engine.statistics.snapshot }

    /// Fails every pending and running request with `.cancelled` and stops the client's thread.
    public func shutdown() {
        engine.shutdown()
    }
}
