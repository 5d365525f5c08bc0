import ByteStreams
import Foundation
import ImageTransports
import OCI
import TestSupport
import Testing

@testable import Registry

/// Holds a blob's bytes back until the test releases them, so two pushes overlap for certain.
private final class GatedSource: ImageSource, @unchecked Sendable {
    private let lock = NSLock()
    private let bytes: Data
    private var gate: CheckedContinuation<Void, Never>?
    private var released = false
    private var opened = 0
    var openCount: Int { lock.withLock { opened } }
    var isWaiting: Bool { lock.withLock { gate != nil } }

    init(_ bytes: Data) { self.bytes = bytes }

    var displayName: String { "gated" }
    func listTags() async throws -> [String] { [] }
    func rootManifest() async throws -> ManifestData { throw RegistryError(.unsupported) }
    func manifest(_ reference: ManifestReference) async throws -> ManifestData { throw RegistryError(.unsupported) }

    func blob(_ descriptor: Descriptor) async throws -> any ByteSource {
        lock.withLock { opened += 1 }
        // A latch: once released, later readers pass at once (a timed-out wait must not hang the test).
        await withCheckedContinuation { continuation in
            let passNow = lock.withLock { () -> Bool in
                if released { return true }
                gate = continuation
                return false
            }
            if passNow { continuation.resume() }
        }
        return DataByteSource(bytes)
    }

    func release() {
        let waiting = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            released = true
            defer { gate = nil }
            return gate
        }
        waiting?.resume()
    }
}

@Suite struct RegistryRepositoryTests {
    @Test func concurrentPushesOfOneBlobUploadOnce() async throws {
        let session = try RegistryTestSessions.session(.plain)
        let address = try TestServices.registry(.plain).address
        let reference = try Reference(parsing: "\(address)/\(RegistryTestSessions.uniqueRepository("dedupe")):v1")
        let blob = OCITestImages.randomBytes(seed: 101, count: 20_000)
        let descriptor = Descriptor(mediaType: .ociLayerTar, digest: Digest.sha256(blob), size: Int64(blob.count))
        let source = GatedSource(blob)
        let destination = RegistryRepository(session: session, reference: reference)

        let first = Task { try await destination.putBlob(descriptor, from: source, content: nil) }
        // Generous deadlines: the whole suite shares this registry, and under CI load a HEAD and a POST
        // can take seconds; the waits end as soon as the event happens.
        #expect(await HTTPTestPolling.until(timeout: .seconds(60)) { source.isWaiting })
        let second = Task {
            try await RegistryRepository(session: session, reference: reference).putBlob(
                descriptor, from: source, content: nil)
        }
        #expect(
            await HTTPTestPolling.until(timeout: .seconds(60)) {
                destination.client.state.lock.withLock { destination.client.state.joinedUploads } == 1
            })
        source.release()
        #expect(try await first.value == .uploaded(bytes: Int64(blob.count)))
        #expect(try await second.value == .alreadyPresent)
        #expect(source.openCount == 1)
        #expect(try await destination.hasBlob(descriptor))
        // Once done, a later push finds the blob with a HEAD and sends nothing.
        #expect(try await destination.putBlob(descriptor, from: source, content: nil) == .alreadyPresent)
        #expect(source.openCount == 1)
    }

    @Test func mutatedImagePushesItsNewConfigAndManifest() async throws {
        let session = try RegistryTestSessions.session(.plain)
        let address = try TestServices.registry(.plain).address
        let image = try OCITestImages.image(seed: 111)
        let layout = try LayoutScratchDirectory()
        try LayoutFixtures.writeLayout([LayoutFixtures.Entry(image, refName: "v1")], to: layout.path)
        let reference = try Reference(parsing: "\(address)/\(RegistryTestSessions.uniqueRepository("mutated")):v1")
        let destination = RegistryRepository(session: session, reference: reference)
        let report = try await ImageCopier().copy(
            from: try OCILayoutSource(directory: layout.path, tag: "v1"), to: destination, tag: "v1",
            mutation: ImageMutation(labels: ["stage": "pushed"]))
        #expect(report.digest != image.rootDigest)
        let pushed = try await destination.rootManifest()
        #expect(pushed.digest == report.digest)
        guard case .image(let manifest) = try pushed.document() else {
            Issue.record("the pushed manifest is not an image")
            return
        }
        let config = try await destination.blob(manifest.config).readAll(limit: 1 << 20)
        #expect(String(decoding: config, as: UTF8.self).contains(#""stage":"pushed""#))
    }

    @Test func dockerConfigCredentialsReachTheTLSRegistry() async throws {
        let address = try TestServices.registry(.tls).address
        let user = try TestServices.tlsCredentials
        let auth = Data("\(user.username):\(user.password)".utf8).base64EncodedString()
        let config = try DockerConfig(data: Data(#"{"auths":{"https://\#(address)/v2/":{"auth":"\#(auth)"}}}"#.utf8))
        let session = RegistrySession(
            configuration: RegistryConfiguration(caFiles: [address: try TestServices.tlsCAFile], dockerConfig: config))
        try await session.client(for: address).ping()

        // Without the CA the certificate is not trusted, and without credentials the registry refuses.
        let untrusted = RegistrySession(configuration: RegistryConfiguration(dockerConfig: config, retryPolicy: .none))
        let tlsError = await #expect(throws: RegistryError.self) { try await untrusted.client(for: address).ping() }
        #expect(tlsError?.kind == .network)
        let anonymous = RegistrySession(
            configuration: RegistryConfiguration(caFiles: [address: try TestServices.tlsCAFile]))
        let authError = await #expect(throws: RegistryError.self) { try await anonymous.client(for: address).ping() }
        #expect(authError?.kind == .unauthorized)
    }
}
