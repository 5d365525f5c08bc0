import ByteStreams
import Foundation
import OCI
import TestSupport
import Testing

@testable import Registry

/// Authentication, redirects and upload sessions against scripted fakes (what a real registry
/// cannot be made to do on demand).
@Suite struct RegistryAuthTests {
    /// A Bearer registry whose token endpoint lives on the same fake; tokens are numbered, and the
    /// registry accepts only those `accepts` allows.
    private static func bearerFake(accepts: @escaping @Sendable (String) -> Bool) throws -> RegistryFakeServer {
        let box = PortBox()
        let fake = try RegistryFakeServer { request, count in
            if request.path == "/token" {
                return RegistryFakeServer.json(200, #"{"token":"t\#(count)","expires_in":300}"#)
            }
            let authorization = request.header("Authorization") ?? ""
            if authorization.hasPrefix("Bearer "), accepts(String(authorization.dropFirst(7))) {
                return RegistryFakeServer.json(200, #"{"tags":["ok"]}"#)
            }
            let realm = "http://127.0.0.1:\(box.port)/token"
            return .respond(
                status: 401,
                headers: [("WWW-Authenticate", #"Bearer realm="\#(realm)",service="fake",scope="repository:a/b:pull""#)]
            )
        }
        box.port = fake.server?.port ?? 0
        return fake
    }

    @Test func tokenIsReusedAndRefreshedOnceWhenRefused() async throws {
        let refused = LockedFlag()
        let fake = try Self.bearerFake { token in !(refused.isSet && token == "t1") }
        let client = fake.session().client(for: fake.address)
        for _ in 0..<3 { #expect(try await client.listTags("a/b") == ["ok"]) }
        #expect(fake.requests(to: "/token").count == 1)
        // The registry starts refusing t1 (revoked early): one refresh, then success.
        refused.set()
        #expect(try await client.listTags("a/b") == ["ok"])
        #expect(fake.requests(to: "/token").count == 2)
    }

    @Test func refusedAfterRefreshIsUnauthorized() async throws {
        let fake = try Self.bearerFake { _ in false }
        let error = await #expect(throws: RegistryError.self) {
            try await fake.session(retryPolicy: SleepRecorder().policy()).client(for: fake.address).listTags("a/b")
        }
        #expect(error?.kind == .unauthorized)
        #expect(error?.isRetryable == false)
        // Anonymous, then once with a token: never a loop.
        #expect(fake.requests(to: "/v2/a/b/tags/list").count == 2)
    }

    @Test func basicCredentialsGoToAnHTTPRealmOnlyOnTheRegistryHost() async throws {
        let tokenServer = try RegistryFakeServer { _, _ in RegistryFakeServer.json(200, #"{"access_token":"abc"}"#) }
        let tokenPort = tokenServer.server?.port ?? 0
        // The same token server reached as "localhost" is another host than the registry's 127.0.0.1.
        for (realmHost, expectCredentials) in [("127.0.0.1", true), ("localhost", false)] {
            let registry = try RegistryFakeServer { request, _ in
                if request.header("Authorization") == "Bearer abc" {
                    return RegistryFakeServer.json(200, #"{"tags":[]}"#)
                }
                return .respond(
                    status: 401,
                    headers: [
                        ("WWW-Authenticate", #"Bearer realm="http://\#(realmHost):\#(tokenPort)/token",service="s""#)
                    ])
            }
            let session = registry.session(
                credentials: Credentials(username: "user", password: "pw"), extraInsecure: ["\(realmHost):\(tokenPort)"]
            )
            _ = try await session.client(for: registry.address).listTags("a/b")
            let sent = tokenServer.requests.last?.header("Authorization")
            #expect((sent != nil) == expectCredentials, "realm host \(realmHost)")
            if let query = tokenServer.requests.last?.target {
                #expect(query.contains("service=s") && query.contains("scope=repository:a/b:pull"))
            }
        }
    }

    /// A registry on 127.0.0.1 whose token realm is plain http on `localhost`, another host name;
    /// the token server hands out an anonymous token the registry refuses.
    private static func foreignRealmFakes() throws -> (registry: RegistryFakeServer, tokens: RegistryFakeServer) {
        let tokens = try RegistryFakeServer { _, _ in RegistryFakeServer.json(200, #"{"access_token":"anon"}"#) }
        let realm = "http://localhost:\(tokens.server?.port ?? 0)/token"
        let registry = try RegistryFakeServer { _, _ in
            .respond(status: 401, headers: [("WWW-Authenticate", #"Bearer realm="\#(realm)",service="s""#)])
        }
        return (registry, tokens)
    }

    @Test(arguments: [
        Credentials(identityToken: "refresh-secret"), Credentials(username: "user", password: "refresh-secret"),
    ])
    func noCredentialGoesToAPlainHTTPRealmOnAnotherHost(credentials: Credentials) async throws {
        let (registry, tokens) = try Self.foreignRealmFakes()
        let session = registry.session(
            credentials: credentials, extraInsecure: ["localhost:\(tokens.server?.port ?? 0)"])
        let error = await #expect(throws: RegistryError.self) {
            try await session.client(for: registry.address).listTags("a/b")
        }
        #expect(!tokens.requests.isEmpty)
        for request in tokens.requests {
            #expect(request.header("Authorization") == nil)
            #expect(!String(decoding: request.body, as: UTF8.self).contains("refresh-secret"))
            #expect(!request.target.contains("refresh-secret"))
        }
        // The 401 says that ocibatch kept the credentials back, and why; not "wrong credentials".
        #expect(error?.credentialsWithheld == true)
        let text = error.map(String.init(describing:)) ?? ""
        #expect(
            text.contains(
                "credentials for \(registry.address) were not sent to the token service at "
                    + "http://localhost:\(tokens.server?.port ?? 0)/token because it is plain http on another host"))
        #expect(!text.contains("refresh-secret"))
    }

    @Test func basicChallengeSendsCredentials() async throws {
        let expected = "Basic " + Data("user:pw".utf8).base64EncodedString()
        let fake = try RegistryFakeServer { request, _ in
            request.header("Authorization") == expected
                ? RegistryFakeServer.json(200, #"{"tags":["b"]}"#)
                : .respond(status: 401, headers: [("WWW-Authenticate", #"Basic realm="fake""#)])
        }
        let client = fake.session(credentials: Credentials(username: "user", password: "pw")).client(for: fake.address)
        #expect(try await client.listTags("r") == ["b"])
        #expect(try await client.listTags("r") == ["b"])
        // The challenge is learnt once; later requests send credentials straight away.
        #expect(fake.requests.count == 3)
    }

    @Test func redirectsAreFollowedWithoutCredentialsToOtherHosts() async throws {
        let blob = Data("blob held in storage".utf8)
        let storage = try RegistryFakeServer { _, _ in .respond(status: 200, body: blob) }
        let storageURL = "http://127.0.0.1:\(storage.server?.port ?? 0)/storage/blob?sig=1"
        let fake = try RegistryFakeServer { request, _ in
            request.header("Authorization") == nil
                ? .respond(status: 401, headers: [("WWW-Authenticate", #"Basic realm="fake""#)])
                : .redirect(to: storageURL)
        }
        let descriptor = Descriptor(mediaType: .ociLayerTar, digest: Digest.sha256(blob), size: Int64(blob.count))
        let client = fake.session(credentials: Credentials(username: "u", password: "p")).client(for: fake.address)
        let bytes = try await client.getBlob("a/b", descriptor).readAll(limit: 1 << 20)
        #expect(bytes == blob)
        #expect(storage.requests.count == 1)
        #expect(storage.requests.first?.header("Authorization") == nil)
    }

    @Test func headWithoutDigestHeaderFallsBackToGet() async throws {
        let manifest = try OCITestImages.image(seed: 71)
        let fake = try RegistryFakeServer { request, _ in
            request.method == "HEAD"
                ? .respond(status: 200, headers: [("Content-Type", MediaType.ociManifest.rawValue)])
                : .respond(
                    status: 200, headers: [("Content-Type", MediaType.ociManifest.rawValue)], body: manifest.rootBytes)
        }
        let head = try await fake.session().client(for: fake.address).headManifest("a/b", .tag("v1"))
        #expect(
            head
                == ManifestHead(
                    digest: manifest.rootDigest, mediaType: .ociManifest, size: Int64(manifest.rootBytes.count)))
        #expect(fake.requests.map(\.method) == ["HEAD", "GET"])
    }

    @Test(arguments: ["relative", "absolute"])
    func uploadLocationsResolveAndKeepTheirQuery(style: String) async throws {
        let blob = Data(repeating: 7, count: 10_000)
        let digest = Digest.sha256(blob)
        let box = PortBox()
        let fake = try RegistryFakeServer { request, _ in
            let base = style == "absolute" ? "http://127.0.0.1:\(box.port)" : ""
            switch request.method {
            case "HEAD": return .respond(status: 404)
            case "POST":
                return .respond(status: 202, headers: [("Location", base + "/v2/a/b/blobs/uploads/u1?_state=one")])
            case "PATCH":
                return .respond(status: 202, headers: [("Location", base + "/v2/a/b/blobs/uploads/u1?_state=two")])
            default: return .respond(status: 201, headers: [("Docker-Content-Digest", digest.description)])
            }
        }
        box.port = fake.server?.port ?? 0
        var configuration = RegistryConfiguration(insecureRegistries: ["http://" + fake.address], retryPolicy: .none)
        configuration.monolithicUploadLimit = 1_000
        let client = RegistrySession(configuration: configuration).client(for: fake.address)
        let descriptor = Descriptor(mediaType: .ociLayerTar, digest: digest, size: Int64(blob.count))
        let result = try await client.uploadBlob("a/b", descriptor) { DataByteSource(blob, chunkSize: 3_000) }
        #expect(result == .uploaded(bytes: Int64(blob.count)))
        let methods = fake.requests.map(\.method)
        #expect(methods == ["POST", "PATCH", "PUT"])
        let patch = try #require(fake.requests.first { $0.method == "PATCH" })
        #expect(patch.target == "/v2/a/b/blobs/uploads/u1?_state=one")
        #expect(patch.body == blob)
        let put = try #require(fake.requests.last)
        #expect(put.target == "/v2/a/b/blobs/uploads/u1?_state=two&digest=sha256%3A\(digest.encoded)")
        #expect(put.bodyLength == 0)
    }

    @Test func refusedMountFallsBackToUpload() async throws {
        let blob = Data("mount me".utf8)
        let digest = Digest.sha256(blob)
        let fake = try RegistryFakeServer { request, _ in
            switch request.method {
            case "POST": return .respond(status: 202, headers: [("Location", "/v2/dst/blobs/uploads/u2")])
            default: return .respond(status: 201)
            }
        }
        let client = fake.session().client(for: fake.address)
        let descriptor = Descriptor(mediaType: .ociLayerTar, digest: digest, size: Int64(blob.count))
        let result = try await client.uploadBlob("dst", descriptor, mountFrom: "src") { DataByteSource(blob) }
        #expect(result == .uploaded(bytes: Int64(blob.count)))
        let post = try #require(fake.requests.first)
        #expect(post.target == "/v2/dst/blobs/uploads/?mount=\(digest.description)&from=src")
        #expect(fake.requests.last?.body == blob)
        #expect(fake.requests.last?.target == "/v2/dst/blobs/uploads/u2?digest=sha256%3A\(digest.encoded)")
    }

    @Test func httpHeadersFromTheDockerConfigAreSent() async throws {
        let fake = try RegistryFakeServer { _, _ in RegistryFakeServer.json(200, "{}") }
        var configuration = RegistryConfiguration(
            userAgent: "ocibatch/test", insecureRegistries: ["http://" + fake.address],
            dockerConfig: DockerConfig(httpHeaders: ["X-Meta-Source": "plan"]))
        configuration.retryPolicy = .none
        try await RegistrySession(configuration: configuration).client(for: fake.address).ping()
        #expect(fake.requests.first?.header("X-Meta-Source") == "plan")
        #expect(fake.requests.first?.header("User-Agent") == "ocibatch/test")
    }
}

final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    var port: Int {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
