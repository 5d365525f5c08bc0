import Foundation
import ImageTransports
import OCI
import TestSupport
import Testing

@testable import Registry

/// Every error class: the kind it is reported as, whether it is retried, and what it says.
@Suite struct RegistryErrorTests {
    @Test func missingManifestIsNotFoundAndNotRetried() async throws {
        let session = try RegistryTestSessions.session(.plain)
        let client = session.client(for: try TestServices.registry(.plain).address)
        let repository = RegistryTestSessions.uniqueRepository("missing")
        let error = await #expect(throws: RegistryError.self) { try await client.getManifest(repository, .tag("nope")) }
        #expect(error?.kind == .notFound)
        #expect(error?.isRetryable == false)
        #expect(try await client.headManifest(repository, .tag("nope")) == nil)
        #expect(try await client.headBlob(repository, Digest.sha256(Data("x".utf8))) == nil)
    }

    @Test(arguments: [TestRegistryKind.tls, .token])
    func wrongPasswordIsUnauthorizedAndNeverShown(kind: TestRegistryKind) async throws {
        let password = "wrong-password-\(UUID().uuidString)"
        let user = kind == .tls ? try TestServices.tlsCredentials.username : try TestServices.tokenCredentials.username
        let session = try RegistryTestSessions.session(
            kind, credentials: Credentials(username: user, password: password))
        let client = session.client(for: try TestServices.registry(kind).address)
        let error = await #expect(throws: RegistryError.self) {
            try await client.headManifest(RegistryTestSessions.uniqueRepository(), .tag("x"))
        }
        #expect(error?.kind == .unauthorized)
        #expect(error?.isRetryable == false)
        #expect(error.map { "\($0)" }?.contains(password) == false)
    }

    @Test func deniedDecodesTheRegistryErrorBody() async throws {
        let fake = try RegistryFakeServer { _, _ in
            RegistryFakeServer.json(
                403,
                #"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied","detail":{"repo":"a/b"}}]}"#
            )
        }
        let error = await #expect(throws: RegistryError.self) {
            try await fake.session(retryPolicy: SleepRecorder().policy()).client(for: fake.address)
                .getManifest("a/b", .tag("v1"))
        }
        #expect(error?.kind == .denied)
        #expect(error?.status == 403)
        #expect(
            error?.errors == [
                RegistryError.Detail(
                    code: "DENIED", message: "requested access to the resource is denied", detail: #"{"repo":"a/b"}"#)
            ])
        #expect(error?.isRetryable == false)
        #expect(error?.description.contains("DENIED: requested access to the resource is denied") == true)
        #expect(fake.requests(to: "/v2/a/b/manifests/v1").count == 1)
    }

    @Test func retryAfterIsHonouredAndCarried() async throws {
        let fake = try RegistryFakeServer { _, count in
            count <= 2
                ? RegistryFakeServer.json(
                    429, #"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
                    headers: [("Retry-After", "3")])
                : RegistryFakeServer.json(200, #"{"name":"a/b","tags":["v1"]}"#)
        }
        let recorder = SleepRecorder()
        let tags = try await fake.session(retryPolicy: recorder.policy()).client(for: fake.address).listTags("a/b")
        #expect(tags == ["v1"])
        #expect(recorder.sleeps == [.seconds(3), .seconds(3)])

        let once = try RegistryFakeServer { _, _ in
            RegistryFakeServer.json(503, "{}", headers: [("Retry-After", "120")])
        }
        let error = await #expect(throws: RegistryError.self) {
            try await once.session(retryPolicy: recorder.policy()).client(for: once.address).listTags("a/b")
        }
        #expect(error?.kind == .unavailable)
        #expect(error?.isRetryable == true)
        #expect(error?.retryAfter == .seconds(120))
        // 120 s is past the policy's limit: no retry here, the engine decides.
        #expect(once.requests.count == 1)
    }

    @Test(arguments: [
        (500, 3, true), (502, 3, true), (503, 3, true), (504, 3, true), (408, 3, true), (400, 1, false),
        (405, 1, false),
    ])
    func statusesAreRetriedOnlyWhenWorthIt(status: Int, expectedRequests: Int, retryable: Bool) async throws {
        let fake = try RegistryFakeServer { _, _ in RegistryFakeServer.json(status, "not json") }
        let recorder = SleepRecorder()
        let error = await #expect(throws: RegistryError.self) {
            try await fake.session(retryPolicy: recorder.policy()).client(for: fake.address).listTags("a/b")
        }
        #expect(error?.isRetryable == retryable)
        #expect(error?.status == status)
        #expect(fake.requests.count == expectedRequests)
        #expect(recorder.sleeps.count == expectedRequests - 1)
    }

    @Test func serverErrorThenSuccessRecovers() async throws {
        let fake = try RegistryFakeServer { _, count in
            count == 1 ? .respond(status: 500) : RegistryFakeServer.json(200, #"{"tags":["x"]}"#)
        }
        let tags = try await fake.session(retryPolicy: SleepRecorder().policy()).client(for: fake.address).listTags("r")
        #expect(tags == ["x"])
    }

    @Test func networkFailureIsRetryable() async throws {
        let fake = try RegistryFakeServer { _, _ in .reset }
        let recorder = SleepRecorder()
        let error = await #expect(throws: RegistryError.self) {
            try await fake.session(retryPolicy: recorder.policy(maxAttempts: 2)).client(for: fake.address).ping()
        }
        #expect(error?.kind == .network)
        #expect(error?.isRetryable == true)
        #expect(recorder.sleeps.count == 1)
    }

    @Test func lyingBlobIsADigestMismatch() async throws {
        let real = Data("the real layer".utf8)
        let descriptor = Descriptor(mediaType: .ociLayerTar, digest: Digest.sha256(real), size: Int64(real.count))
        let fake = try RegistryFakeServer { _, _ in .respond(status: 200, body: Data("the fake layer".utf8)) }
        let source = try await fake.session().client(for: fake.address).getBlob("a/b", descriptor)
        let error = await #expect(throws: RegistryError.self) { try await source.readAll(limit: 1 << 20) }
        #expect(error?.kind == .digestMismatch)
        #expect(error?.isRetryable == false)
        #expect(fake.requests.count == 1)  // keeps the fake serving until the body was read

        let shorter = try RegistryFakeServer { _, _ in .respond(status: 200, body: Data("short".utf8)) }
        let sizeError = await #expect(throws: RegistryError.self) {
            try await shorter.session().client(for: shorter.address).getBlob("a/b", descriptor)
        }
        #expect(sizeError?.kind == .digestMismatch)
    }

    @Test func lyingManifestIsADigestMismatch() async throws {
        let manifest = try OCITestImages.image(seed: 61)
        let fake = try RegistryFakeServer { request, _ in
            if request.method == "PUT" {
                return .respond(
                    status: 201, headers: [("Docker-Content-Digest", Digest.sha256(Data("other".utf8)).description)])
            }
            return .respond(
                status: 200, headers: [("Content-Type", MediaType.ociManifest.rawValue)],
                body: manifest.rootBytes + Data(" ".utf8))
        }
        let client = fake.session().client(for: fake.address)
        let getError = await #expect(throws: RegistryError.self) {
            try await client.getManifest("a/b", .digest(manifest.rootDigest))
        }
        #expect(getError?.kind == .digestMismatch)
        let putError = await #expect(throws: RegistryError.self) {
            try await client.putManifest(
                "a/b", ManifestData(bytes: manifest.rootBytes, mediaType: .ociManifest), reference: .tag("v1"))
        }
        #expect(putError?.kind == .digestMismatch)
    }

    @Test(arguments: [
        (
            #"{"errors":[{"code":"A","message":"one"},{"code":"B","message":"two","detail":"d"}]}"#,
            "multiple errors: A: one; B: two; d"
        ),
        (
            #"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#,
            #"MANIFEST_UNKNOWN: manifest unknown; {"Tag":"x"}"#
        ),
        ("<html>oops</html>", "HTTP 404"),
    ])
    func errorBodiesAreDescribed(body: String, expected: String) {
        let error = RegistryError(
            .notFound, method: "GET", url: "https://r.example/v2/x?_state=secret", status: 404,
            errors: RegistryError.decodeErrors(Data(body.utf8)))
        #expect(error.description.contains(expected))
        #expect(!error.description.contains("secret"))
    }

    @Test(arguments: [("5", 5), (" 0 ", 0), ("soon", nil), ("", nil)] as [(String, Int?)])
    func retryAfterSecondsAreParsed(value: String, seconds: Int?) {
        #expect(RegistryError.parseRetryAfter(value) == seconds.map { .seconds($0) })
    }

    @Test func retryAfterDatesAreParsed() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RegistryError.parseRetryAfter("Tue, 14 Nov 2023 22:13:30 GMT", now: now) == .seconds(10))
    }
}

@Suite struct RegistryLimitTests {
    @Test func oversizedManifestIsRefusedAndNotRetried() async throws {
        let fake = try RegistryFakeServer { _, _ in
            .respond(
                status: 200, headers: [("Content-Type", MediaType.ociManifest.rawValue)],
                body: Data(repeating: 0x20, count: ContentLimits.manifestBytes + 1))
        }
        let recorder = SleepRecorder()
        let error = await #expect(throws: RegistryError.self) {
            try await fake.session(retryPolicy: recorder.policy()).client(for: fake.address).getManifest(
                "a/b", .tag("v1"))
        }
        #expect(error?.kind == .invalidResponse)
        #expect(error?.isRetryable == false)
        #expect(fake.requests.count == 1)
    }
}
