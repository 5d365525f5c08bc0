import Foundation
import HTTPClient
import TestSupport

/// A client with test-sized timeouts.
func makeClient(maxConcurrentTransfers: Int = 64, stallTimeout: Duration = .seconds(30)) -> HTTPClient {
    HTTPClient(
        configuration: HTTPClientConfiguration(
            userAgent: "ocibatch/test", maxConcurrentTransfers: maxConcurrentTransfers,
            defaultOptions: HTTPTransferOptions(connectTimeout: .seconds(10), stallTimeout: stallTimeout)))
}

/// Runs `body` and returns the `HTTPClientError` it throws, or nil.
func httpError(_ body: () async throws -> Void) async -> HTTPClientError? {
    do {
        try await body()
        return nil
    } catch let error as HTTPClientError {
        return error
    } catch {
        return nil
    }
}
