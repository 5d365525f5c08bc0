import ByteStreams
import Foundation
import HTTPClient
import TestSupport
import Testing

@Suite struct HTTPClientStreamingTests {
    static let large: Int64 = 256 << 20

    @Test func largeDownloadStreamsWithBoundedBuffer() async throws {
        let length = Self.large
        let server = try HTTPTestServer { _ in .pattern(length: length) }
        defer { server.stop() }
        let client = makeClient()
        let bufferSize = 256 << 10
        let response = try await client.execute(
            HTTPRequest(method: .get, url: server.url("/blob"), response: .stream(bufferSize: bufferSize)))
        #expect(response.status == 200)
        #expect(response.headers["content-length"] == String(length))
        // The reader has not started: the transfer must stop once the buffer is full.
        #expect(await HTTPTestPolling.until { client.statistics.receivePauses > 0 })
        let hasher = HTTPTestSHA256()
        var received: Int64 = 0
        let stream = response.bodyStream
        while let chunk = try await stream.read() {
            hasher.update(chunk)
            received += Int64(chunk.count)
        }
        #expect(received == length)
        #expect(hasher.hexDigest() == HTTPTestPattern.sha256(length: length))
        #expect(client.statistics.peakBufferedResponseBytes <= bufferSize + (64 << 10))
        #expect(client.statistics.bytesReceived == length)
    }

    @Test(arguments: [(large, true), ((3 << 20) + 5, false)] as [(Int64, Bool)])
    func largeUploadStreamsWithBoundedBuffer(length: Int64, declareLength: Bool) async throws {
        let server = try HTTPTestServer { _ in .echoBodyDigest }
        defer { server.stop() }
        let client = makeClient()
        // The source holds back its first chunk until curl has asked and paused, proving the resume path.
        let body = HTTPRequestBody.stream(length: declareLength ? length : nil) {
            HTTPPatternSource(length: length) {
                _ = await HTTPTestPolling.until { client.statistics.sendPauses > 0 }
            }
        }
        let response = try await client.execute(HTTPRequest(method: .put, url: server.url("/upload"), body: body))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "\(length) \(HTTPTestPattern.sha256(length: length))")
        #expect(client.statistics.sendPauses > 0)
        #expect(client.statistics.peakBufferedRequestBytes <= HTTPTestPattern.chunkSize)
        #expect(client.statistics.bytesSent == length)
        let seen = try #require(server.requests.first)
        #expect(seen.header("Expect") == nil)
        if declareLength {
            #expect(seen.header("Content-Length") == String(length))
        } else {
            #expect(seen.header("Transfer-Encoding")?.lowercased() == "chunked")
        }
    }

    @Test func closingAStreamEndsTheTransfer() async throws {
        let server = try HTTPTestServer { _ in .pattern(length: 64 << 20) }
        defer { server.stop() }
        let client = makeClient()
        let response = try await client.execute(
            HTTPRequest(method: .get, url: server.url("/blob"), response: .stream(bufferSize: 64 << 10)))
        let stream = response.bodyStream
        #expect(try await stream.read() != nil)
        stream.close()
        #expect(await HTTPTestPolling.until { client.statistics.inFlight == 0 })
        #expect(await HTTPTestPolling.until { server.openConnections == 0 })
        await #expect(throws: ByteSourceError.closed) { try await stream.read() }
    }

    @Test func cancelledReaderEndsTheTransfer() async throws {
        let server = try HTTPTestServer { _ in .stallAfterHeaders(length: 1000) }
        defer { server.stop() }
        let client = makeClient()
        let response = try await client.execute(
            HTTPRequest(method: .get, url: server.url("/blob"), response: .stream()))
        let reader = Task { try await response.bodyStream.read() }
        reader.cancel()
        await #expect(throws: CancellationError.self) { try await reader.value }
        #expect(await HTTPTestPolling.until { client.statistics.inFlight == 0 })
    }

    @Test func failingBodySourceFailsTheRequest() async throws {
        struct SourceBroke: Error {}
        let server = try HTTPTestServer { _ in .echoBodyDigest }
        defer { server.stop() }
        let client = makeClient()
        let body = HTTPRequestBody.stream(length: 10) { throw SourceBroke() }
        let error = await httpError {
            _ = try await client.execute(HTTPRequest(method: .put, url: server.url("/upload"), body: body))
        }
        #expect(error?.code == .bodySourceFailed)
        #expect(error?.underlying is SourceBroke)
        #expect(error?.isRetryable == false)
    }

    @Test(arguments: [(Int64(100_000), Int64(50_000)), (Int64(50_000), Int64(100_000))])
    func bodyOfTheWrongLengthIsRefused(declared: Int64, actual: Int64) async throws {
        let server = try HTTPTestServer { _ in .echoBodyDigest }
        defer { server.stop() }
        let body = HTTPRequestBody.stream(length: declared) { HTTPPatternSource(length: actual) }
        let error = await httpError {
            _ = try await makeClient().execute(HTTPRequest(method: .put, url: server.url("/upload"), body: body))
        }
        #expect(error?.code == .bodySourceFailed)
        #expect(error?.isRetryable == false)
        #expect(error?.description.contains("\(declared) bytes declared") == true)
    }
}
