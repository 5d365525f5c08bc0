import Foundation
import HTTPClient
import TestSupport
import Testing

@Suite struct HTTPClientErrorTests {
    enum Oversize: CaseIterable {
        case declaredLength
        case chunked
    }

    @Test(arguments: Oversize.allCases)
    func collectLimitIsEnforced(_ kind: Oversize) async throws {
        let body = Data(repeating: 7, count: 2000)
        let server = try HTTPTestServer { _ in .respond(status: 200, body: body, chunked: kind == .chunked) }
        defer { server.stop() }
        let client = makeClient()
        let error = await httpError {
            _ = try await client.execute(
                HTTPRequest(method: .get, url: server.url("/big"), response: .collect(limit: 1000)))
        }
        #expect(error?.code == .bodyTooLarge)
        #expect(error?.isRetryable == false)
        #expect(error?.description.contains("limit of 1000") == true)
        #expect(client.statistics.bytesReceived <= 1000)
    }

    @Test func bodyAtTheCollectLimitIsAccepted() async throws {
        let body = Data(repeating: 7, count: 1000)
        let server = try HTTPTestServer { _ in .respond(status: 200, body: body, chunked: true) }
        defer { server.stop() }
        let response = try await makeClient().execute(
            HTTPRequest(method: .get, url: server.url("/fits"), response: .collect(limit: 1000)))
        #expect(response.body == body)
    }

    @Test(arguments: [HTTPTestServer.Action.stall, .stallAfterHeaders(length: 100)])
    func stallTimeoutFires(_ action: HTTPTestServer.Action) async throws {
        let server = try HTTPTestServer { _ in action }
        defer { server.stop() }
        let client = makeClient(stallTimeout: .seconds(1))
        let error = await httpError {
            _ = try await client.execute(HTTPRequest(method: .get, url: server.url("/stuck")))
        }
        #expect(error?.code == .timedOut)
        #expect(error?.isRetryable == true)
        #expect(client.statistics.inFlight == 0)
    }

    @Test func connectionResetIsRetryable() async throws {
        let server = try HTTPTestServer { _ in .reset }
        defer { server.stop() }
        let error = await httpError {
            _ = try await makeClient().execute(HTTPRequest(method: .get, url: server.url("/reset")))
        }
        #expect(error?.code == .connectionLost)
        #expect(error?.isRetryable == true)
    }

    @Test func closedPortIsARetryableConnectFailure() async throws {
        let server = try HTTPTestServer { _ in .respond(status: 200) }
        defer { server.stop() }
        let url = server.url("/gone")
        server.stop()
        let error = await httpError { _ = try await makeClient().execute(HTTPRequest(method: .get, url: url)) }
        #expect(error?.code == .connectFailed)
        #expect(error?.isRetryable == true)
    }

    @Test func httpsToAPlainPortIsANonRetryableTLSFailure() async throws {
        let server = try HTTPTestServer { _ in .respond(status: 200) }
        defer { server.stop() }
        let url = server.url("/v2/", scheme: "https")
        let error = await httpError { _ = try await makeClient().execute(HTTPRequest(method: .get, url: url)) }
        #expect(error?.code == .tlsFailure)
        #expect(error?.isRetryable == false)
        #expect(error?.description.hasPrefix("GET https://127.0.0.1:\(server.port)/v2/: TLS failure") == true)
    }

    @Test func unsupportedSchemeIsRejectedBeforeSending() async throws {
        let url = try #require(URL(string: "ftp://127.0.0.1/file"))
        let error = await httpError { _ = try await makeClient().execute(HTTPRequest(method: .get, url: url)) }
        #expect(error?.code == .invalidURL)
        #expect(error?.isRetryable == false)
    }

    @Test func headerWithLineBreakIsRejected() async throws {
        let url = try #require(URL(string: "http://127.0.0.1:1/"))
        let request = HTTPRequest(method: .get, url: url, headers: ["X-Evil": "a\r\nInjected: yes"])
        let error = await httpError { _ = try await makeClient().execute(request) }
        #expect(error?.code == .invalidRequest)
    }

    @Test func messagesNeverShowUserinfoOrQuery() {
        let error = HTTPClientError(
            code: .connectFailed, method: .put,
            url: "https://user:hunter2@registry.example/v2/a/blobs/uploads/x?_state=SECRET&digest=sha256:1",
            detail: "refused")
        #expect(error.description == "PUT https://registry.example/v2/a/blobs/uploads/x?…: could not connect: refused")
        #expect(!error.description.contains("hunter2"))
        #expect(!error.description.contains("SECRET"))
    }

    @Test(arguments: [
        (7, HTTPClientError.Code.connectFailed, true),
        (6, .connectFailed, true),
        (28, .timedOut, true),
        (56, .connectionLost, true),
        (52, .connectionLost, true),
        (35, .tlsFailure, false),
        (60, .tlsFailure, false),
        (3, .invalidURL, false),
        (1, .invalidURL, false),
        (43, .transferFailed, false),
    ])
    func curlCodesAreClassified(curlCode: Int, code: HTTPClientError.Code, retryable: Bool) {
        let error = HTTPClientError(
            code: HTTPClientError.Code(curlCode: curlCode), method: .get, url: "http://h/", detail: "x",
            curlCode: curlCode)
        #expect(error.code == code)
        #expect(error.isRetryable == retryable)
    }

    enum Abandon: CaseIterable {
        case cancelTask
        case shutDownClient
    }

    @Test(arguments: Abandon.allCases)
    func abandonedRequestReleasesItsTransfer(_ how: Abandon) async throws {
        let server = try HTTPTestServer { _ in .stall }
        defer { server.stop() }
        let client = makeClient()
        let task = Task { try await client.execute(HTTPRequest(method: .get, url: server.url("/forever"))) }
        #expect(await HTTPTestPolling.until { server.requests.count == 1 })
        switch how {
        case .cancelTask:
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
        case .shutDownClient:
            client.shutdown()
            let error = await httpError { _ = try await task.value }
            #expect(error?.code == .cancelled)
            #expect(error?.isRetryable == false)
            let late = await httpError { _ = try await client.execute(HTTPRequest(method: .get, url: server.url("/"))) }
            #expect(late?.code == .cancelled)
        }
        #expect(await HTTPTestPolling.until { client.statistics.inFlight == 0 })
        #expect(await HTTPTestPolling.until { server.openConnections == 0 })
    }
}
