import Foundation
import HTTPClient
import TestSupport
import Testing

@Suite struct HTTPClientExchangeTests {
    @Test(arguments: HTTPMethod.allCases)
    func methodAndBodyReachTheServer(_ method: HTTPMethod) async throws {
        let server = try HTTPTestServer { _ in .echoBodyDigest }
        defer { server.stop() }
        let payload = Data("payload for \(method.rawValue)".utf8)
        let carriesBody = method != .get && method != .head
        let response = try await makeClient().execute(
            HTTPRequest(method: method, url: server.url("/m"), body: carriesBody ? .data(payload) : .none))
        let seen = try #require(server.requests.first)
        #expect(seen.method == method.rawValue)
        #expect(response.status == 200)
        if carriesBody {
            #expect(seen.body == payload)
            #expect(seen.header("Content-Length") == String(payload.count))
        } else {
            #expect(seen.bodyLength == 0)
        }
        #expect(seen.header("Expect") == nil)
    }

    @Test(arguments: [HTTPMethod.post, .put, .patch])
    func bodilessWritesSendZeroLength(_ method: HTTPMethod) async throws {
        let server = try HTTPTestServer { _ in .respond(status: 202) }
        defer { server.stop() }
        let response = try await makeClient().execute(
            HTTPRequest(method: method, url: server.url("/v2/r/blobs/uploads/")))
        #expect(response.status == 202)
        #expect(server.requests.first?.header("Content-Length") == "0")
    }

    @Test func headersAreOrderedMultiValuedAndCaseInsensitive() async throws {
        let server = try HTTPTestServer { _ in
            .respond(status: 200, headers: [("X-Multi", "a"), ("Link", "<next>"), ("x-multi", "b")])
        }
        defer { server.stop() }
        var headers = HTTPHeaders()
        headers.add(name: "X-Custom", value: "1")
        headers.add(name: "x-custom", value: "2")
        headers.add(name: "Accept", value: "application/vnd.oci.image.manifest.v1+json")
        let response = try await makeClient().execute(
            HTTPRequest(method: .get, url: server.url("/h"), headers: headers))
        #expect(response.headers.values(for: "X-MULTI") == ["a", "b"])
        #expect(response.headers["link"] == "<next>")
        let seen = try #require(server.requests.first)
        #expect(seen.headers.filter { $0.name.lowercased() == "x-custom" }.map(\.value) == ["1", "2"])
        #expect(seen.header("accept") == "application/vnd.oci.image.manifest.v1+json")
        #expect(seen.header("User-Agent") == "ocibatch/test")
    }

    @Test func redirectsAreReturnedNotFollowed() async throws {
        let server = try HTTPTestServer { request in
            request.path == "/start" ? .redirect(to: "/elsewhere?x=1") : .respond(status: 200)
        }
        defer { server.stop() }
        let response = try await makeClient().execute(HTTPRequest(method: .get, url: server.url("/start")))
        #expect(response.status == 302)
        #expect(response.location == "/elsewhere?x=1")
        #expect(response.effectiveURL == server.url("/start").absoluteString)
        #expect(server.requests.map(\.path) == ["/start"])
    }

    @Test func headHasNoBody() async throws {
        let server = try HTTPTestServer { _ in .respond(status: 200, body: Data(repeating: 1, count: 1000)) }
        defer { server.stop() }
        let response = try await makeClient().execute(
            HTTPRequest(method: .head, url: server.url("/blob"), response: .collect(limit: 10)))
        #expect(response.status == 200)
        #expect(response.headers["Content-Length"] == "1000")
        #expect(response.body.isEmpty)
    }

    @Test func discardedBodyIsCountedButNotKept() async throws {
        let server = try HTTPTestServer { _ in .pattern(length: 1 << 20) }
        defer { server.stop() }
        let client = makeClient()
        let response = try await client.execute(HTTPRequest(method: .get, url: server.url("/d"), response: .discard))
        #expect(response.body.isEmpty)
        #expect(client.statistics.bytesReceived == 1 << 20)
    }

    @Test func headersLookUpWithoutCaseAndKeepOrder() {
        var headers: HTTPHeaders = ["Content-Type": "a", "WWW-Authenticate": "Basic"]
        headers.add(name: "www-authenticate", value: "Bearer realm=x")
        headers.replaceOrAdd(name: "content-type", value: "b")
        #expect(headers.values(for: "Www-Authenticate") == ["Basic", "Bearer realm=x"])
        #expect(headers["CONTENT-TYPE"] == "b")
        #expect(headers.map(\.name) == ["WWW-Authenticate", "www-authenticate", "content-type"])
        headers.remove(name: "WWW-AUTHENTICATE")
        #expect(!headers.contains("www-authenticate"))
        #expect(headers.count == 1)
    }

    @Test func headerDescriptionShowsNamesOnly() {
        let headers: HTTPHeaders = ["Authorization": "Bearer secret-token"]
        #expect(!headers.description.contains("secret-token"))
    }
}
