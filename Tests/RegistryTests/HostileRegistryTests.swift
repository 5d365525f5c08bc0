import ByteStreams
import Foundation
import ImageTransports
import OCI
import TestSupport
import Testing

@testable import Registry

/// A registry that misbehaves on purpose: huge documents, foreign hosts, broken JSON. ocibatch
/// stops early, keeps credentials to the registry they belong to, and writes nothing.
@Suite struct HostileRegistryTests {
    /// 100 MiB announced by `Content-Length`, or 5 MiB sent chunked with no length: either way
    /// the read stops near the 4 MiB limit, not after the whole body.
    @Test(arguments: [true, false])
    func hugeManifestIsRefusedBeforeItIsRead(announced: Bool) async throws {
        let fake = try RegistryFakeServer { _, _ in
            announced
                ? .pattern(length: 100 << 20)
                : .respond(
                    status: 200, headers: [("Content-Type", MediaType.ociManifest.rawValue)],
                    body: Data(repeating: 0x20, count: 5 << 20), chunked: true)
        }
        let session = fake.session(retryPolicy: SleepRecorder().policy())
        let error = await #expect(throws: RegistryError.self) {
            try await session.client(for: fake.address).getManifest("a/b", .tag("v1"))
        }
        #expect(error?.kind == .invalidResponse)
        #expect(error?.isRetryable == false)
        #expect(fake.requests.count == 1)
        #expect(session.http.statistics.bytesReceived <= Int64(ContentLimits.manifestBytes) + (1 << 20))
        session.http.shutdown()
    }

    /// Copying from such a registry fails the same way and leaves the destination layout empty.
    @Test func hugeManifestCopyWritesNothing() async throws {
        let fake = try RegistryFakeServer { _, _ in .pattern(length: 100 << 20) }
        let session = fake.session()
        let destination = try LayoutScratchDirectory()
        await #expect(throws: RegistryError.self) {
            try await ImageCopier().copy(
                from: RegistryRepository(session: session, reference: try Reference(parsing: "\(fake.address)/a/b:v1")),
                to: try OCILayoutDestination(directory: destination.path), tag: "v1")
        }
        #expect(session.http.statistics.bytesReceived < 8 << 20)
        #expect(try LayoutTree.files(under: destination.path) == [])
        session.http.shutdown()
    }

    /// An upload session whose `Location` names another host: the blob goes there (that is how
    /// registries hand off to storage) but the registry's credentials do not.
    @Test func uploadLocationOnAnotherHostGetsNoCredentials() async throws {
        let blob = Data(repeating: 9, count: 5_000)
        let digest = Digest.sha256(blob)
        let elsewhere = try RegistryFakeServer { request, _ in
            request.method == "PUT"
                ? .respond(status: 201, headers: [("Docker-Content-Digest", digest.description)])
                : .respond(status: 202, headers: [("Location", request.target)])
        }
        let elsewhereAddress = elsewhere.address
        let registry = try RegistryFakeServer { request, _ in
            guard request.header("Authorization") != nil else {
                return .respond(status: 401, headers: [("WWW-Authenticate", #"Basic realm="fake""#)])
            }
            return .respond(
                status: 202, headers: [("Location", "http://\(elsewhereAddress)/upload/u1?_state=secret-state")])
        }
        let client = registry.session(
            credentials: Credentials(username: "user", password: "hostile-test-password"),
            extraInsecure: [elsewhereAddress]
        ).client(for: registry.address)
        let descriptor = Descriptor(mediaType: .ociLayerTar, digest: digest, size: Int64(blob.count))
        let result = try await client.uploadBlob("a/b", descriptor) { DataByteSource(blob) }
        #expect(result == .uploaded(bytes: Int64(blob.count)))
        #expect(registry.requests.last?.header("Authorization") != nil)
        #expect(elsewhere.requests.map(\.method) == ["PUT"])
        #expect(elsewhere.requests.allSatisfy { $0.header("Authorization") == nil })
        #expect(elsewhere.requests.first?.body == blob)
    }

    /// A manifest that is not JSON, served with a manifest media type (so only parsing can tell).
    @Test(arguments: ["{not json", "", "[1,2,3]", #"{"schemaVersion":2,"layers":"#])
    func invalidManifestJSONFailsTheCopyAndWritesNothing(body: String) async throws {
        let fake = try RegistryFakeServer { _, _ in
            .respond(
                status: 200, headers: [("Content-Type", MediaType.ociManifest.rawValue)], body: Data(body.utf8))
        }
        let session = fake.session()
        let destination = try LayoutScratchDirectory()
        let error = await #expect(throws: (any Error).self) {
            try await ImageCopier().copy(
                from: RegistryRepository(session: session, reference: try Reference(parsing: "\(fake.address)/a/b:v1")),
                to: try OCILayoutDestination(directory: destination.path), tag: "v1")
        }
        #expect(error is OCIError || error is RegistryError || error is TransportError, "\(String(describing: error))")
        #expect("\(String(describing: error))".contains("a/b") || "\(String(describing: error))".contains("manifest"))
        #expect(try LayoutTree.files(under: destination.path) == [])
        // Not a transient failure: asked once, not retried.
        #expect(fake.requests.filter { $0.method == "GET" }.count == 1)
    }

    /// A registry answering a digest request with other bytes: refused before anything is written.
    @Test func manifestNotMatchingItsDigestWritesNothing() async throws {
        let image = try OCITestImages.image(seed: 91)
        let other = try OCITestImages.image(seed: 92)
        let fake = try RegistryFakeServer { _, _ in
            .respond(status: 200, headers: [("Content-Type", MediaType.ociManifest.rawValue)], body: other.rootBytes)
        }
        let destination = try LayoutScratchDirectory()
        let error = await #expect(throws: RegistryError.self) {
            try await ImageCopier().copy(
                from: RegistryRepository(
                    session: fake.session(),
                    reference: try Reference(parsing: "\(fake.address)/a/b@\(image.rootDigest)")),
                to: try OCILayoutDestination(directory: destination.path), tag: "v1")
        }
        #expect(error?.kind == .digestMismatch)
        #expect(try LayoutTree.files(under: destination.path) == [])
    }
}

/// Regular files under a directory, relative to it (what a destination really wrote).
enum LayoutTree {
    static func files(under directory: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let path = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                files.append(path)
            }
        }
        return files.sorted()
    }
}
