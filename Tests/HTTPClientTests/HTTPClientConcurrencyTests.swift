import Foundation
import HTTPClient
import TestSupport
import Testing

@Suite struct HTTPClientConcurrencyTests {
    @Test func concurrentRequestsAreAllOnTheWireAtOnce() async throws {
        let server = try HTTPTestServer { _ in
            // Each answer waits for all 16 to be in (a serial client would take 10 s per request).
            .holdUntilConcurrent(16, then: .respond(status: 200, body: Data("ok".utf8)))
        }
        defer { server.stop() }
        let client = makeClient()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<16 {
                group.addTask {
                    try await client.execute(HTTPRequest(method: .get, url: server.url("/slow/\(index)"))).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 16))
        #expect(server.maxOpenConnections >= 16)
        #expect(server.maxConcurrentRequests == 16)
        #expect(client.statistics.peakInFlight >= 16)
        #expect(client.statistics.requestsStarted == 16)
    }

    @Test func maxConcurrentTransfersQueuesTheRest() async throws {
        let server = try HTTPTestServer { _ in
            .delayed(.milliseconds(50), then: .respond(status: 204))
        }
        defer { server.stop() }
        let client = makeClient(maxConcurrentTransfers: 3)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<9 {
                group.addTask { _ = try await client.execute(HTTPRequest(method: .get, url: server.url("/"))) }
            }
            try await group.waitForAll()
        }
        #expect(client.statistics.peakInFlight == 3)
        #expect(server.maxOpenConnections <= 3)
        #expect(server.requests.count == 9)
        #expect(client.statistics.queued == 0)
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        let server = try HTTPTestServer { _ in .respond(status: 200, body: Data("hello".utf8)) }
        defer { server.stop() }
        let client = makeClient()
        for _ in 0..<5 {
            let response = try await client.execute(HTTPRequest(method: .get, url: server.url("/again")))
            #expect(response.body == Data("hello".utf8))
        }
        #expect(server.requests.count == 5)
        #expect(server.connectionsAccepted == 1)
        #expect(client.statistics.inFlight == 0)
    }

    @Test func connectionsPerHostAreCapped() async throws {
        let server = try HTTPTestServer { _ in .delayed(.milliseconds(30), then: .respond(status: 200)) }
        defer { server.stop() }
        let client = HTTPClient(
            configuration: HTTPClientConfiguration(userAgent: "ocibatch/test", maxConnectionsPerHost: 2))
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<6 {
                group.addTask { try await client.execute(HTTPRequest(method: .get, url: server.url("/"))).status }
            }
            for try await status in group { #expect(status == 200) }
        }
        #expect(server.maxOpenConnections <= 2)
        #expect(server.requests.count == 6)
    }
}
