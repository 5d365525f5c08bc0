import ByteStreams
import Foundation
import HTTPClient
import ImageTransports
import OCI
import TestSupport
import Testing

@testable import Registry

/// A blob source that gives its first `good` bytes, then fails or stalls, as a download from
/// another registry does when that registry breaks or stops answering.
///
/// The tests that check the registry dropped the session break before any byte: docker-registry
/// accepts a DELETE only with the `_state` of its last answer, and bytes that landed after it make
/// that state stale (it then keeps the session until its upload purging). ocibatch still sends the
/// DELETE; it is best effort.
private final class BreakingSource: ByteSource, CustomStringConvertible, @unchecked Sendable {
    enum Breaks {
        case fails(RegistryError)
        /// Waits until cancelled.
        case stalls
    }

    private let lock = NSLock()
    private var remaining: Data
    private let breaks: Breaks
    private var waitingFlag = false
    var isWaiting: Bool { lock.withLock { waitingFlag } }

    init(_ data: Data, good: Int, breaks: Breaks) {
        self.remaining = data.prefix(good)
        self.breaks = breaks
    }

    var description: String { "docker://source.example/app" }

    func read() async throws -> Data? {
        let chunk = lock.withLock { () -> Data in
            defer { remaining = Data() }
            return remaining
        }
        if !chunk.isEmpty { return chunk }
        switch breaks {
        case .fails(let error): throw error
        case .stalls:
            lock.withLock { waitingFlag = true }
            try await Task.sleep(for: .seconds(3600))
            return nil
        }
    }

    func close() {}
}

@Suite struct RegistryUploadTests {
    private static let blob = OCITestImages.randomBytes(seed: 131, count: 256 << 10)
    private static var descriptor: Descriptor {
        Descriptor(mediaType: .ociLayerTar, digest: Digest.sha256(blob), size: Int64(blob.count))
    }

    /// The upload sessions docker-registry still holds for `repository`: those with a `startedat`
    /// file (a cancelled session loses it and its data; only hash states stay behind).
    private static func openUploads(_ repository: String) throws -> [String] {
        let storage = try TestServices.registry(.plain).storageDirectory
        let folder = "\(storage)/docker/registry/v2/repositories/\(repository)/_uploads"
        let sessions = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return sessions.filter { FileManager.default.fileExists(atPath: "\(folder)/\($0)/startedat") }
    }

    private static let sourceFailure = RegistryError(
        .network, method: "GET", url: "http://source.example/v2/app/blobs/sha256:1", message: "connection reset")

    @Test(arguments: [Int64(1_000), 8 << 20])
    func failedUploadIsAbandonedAndBlamesTheSource(monolithicLimit: Int64) async throws {
        let session = try RegistryTestSessions.session(.plain, retryPolicy: .none, monolithicLimit: monolithicLimit)
        let address = try TestServices.registry(.plain).address
        let repository = RegistryTestSessions.uniqueRepository("abandon")
        let error = await #expect(throws: RegistryError.self) {
            try await session.client(for: address).uploadBlob(repository, Self.descriptor) {
                BreakingSource(Self.blob, good: 0, breaks: .fails(Self.sourceFailure))
            }
        }
        #expect(
            error.map(String.init(describing:))
                == "reading blob \(Self.descriptor.digest) from docker://source.example/app: connection reset; "
                + "upload to \(address)/\(repository) aborted")
        #expect(try Self.openUploads(repository).isEmpty)
    }

    @Test func cancelledUploadIsAbandoned() async throws {
        let session = try RegistryTestSessions.session(.plain, retryPolicy: .none, monolithicLimit: 1_000)
        let address = try TestServices.registry(.plain).address
        let repository = RegistryTestSessions.uniqueRepository("abandon")
        let source = BreakingSource(Self.blob, good: 0, breaks: .stalls)
        let upload = Task {
            try await session.client(for: address).uploadBlob(repository, Self.descriptor) { source }
        }
        #expect(await HTTPTestPolling.until { source.isWaiting })
        #expect(try Self.openUploads(repository).count == 1)
        upload.cancel()
        _ = await upload.result
        #expect(try Self.openUploads(repository).isEmpty)
    }

    @Test func stalledSourceIsBlamedRatherThanTheUpload() async throws {
        var configuration = try RegistryTestSessions.session(.plain, retryPolicy: .none, monolithicLimit: 1_000)
            .configuration
        configuration.transferOptions.stallTimeout = .seconds(2)
        let session = RegistrySession(configuration: configuration)
        let address = try TestServices.registry(.plain).address
        let repository = RegistryTestSessions.uniqueRepository("stall")
        let error = await #expect(throws: RegistryError.self) {
            try await session.client(for: address).uploadBlob(repository, Self.descriptor) {
                BreakingSource(Self.blob, good: 0, breaks: .stalls)
            }
        }
        let text = error.map(String.init(describing:)) ?? ""
        #expect(text.hasPrefix("reading blob \(Self.descriptor.digest) from docker://source.example/app: no data for"))
        #expect(text.hasSuffix("(the source stalled); upload to \(address)/\(repository) aborted"))
        #expect(error?.isRetryable == true)
        #expect(try Self.openUploads(repository).isEmpty)
    }

    /// A layout destination used to print `(Registry.RegistryError error 1.)` for a source failure.
    @Test func layoutDestinationKeepsTheSourceErrorText() async throws {
        let layout = try LayoutScratchDirectory()
        let destination = try OCILayoutDestination(directory: layout.path + "/out")
        let mismatch = RegistryError(
            .digestMismatch, method: "GET", url: "http://source.example/v2/app/blobs/sha256:1",
            message: "content has digest sha256:2, expected sha256:1")
        let source = RegistryRepository(
            session: RegistrySession(), reference: try Reference(parsing: "source.example/app:1"))
        let error = await #expect(throws: RegistryError.self) {
            _ = try await destination.putBlob(
                Self.descriptor, from: source,
                content: BreakingSource(Self.blob, good: 1_000, breaks: .fails(mismatch)))
        }
        #expect(error.map(String.init(describing:))?.contains("content has digest sha256:2, expected sha256:1") == true)
        await destination.abort()
    }

    /// Pushing an image whose blobs are all there costs one request per blob (a HEAD), not two.
    @Test func eachPresentBlobIsCheckedOnce() async throws {
        let address = try TestServices.registry(.plain).address
        var requests: [Int] = []
        for layerCount in [1, 5] {
            let image = try OCITestImages.image(seed: 140 + UInt64(layerCount), layerCount: layerCount)
            let repository = RegistryTestSessions.uniqueRepository("once")
            let setup = try RegistryTestSessions.session(.plain)
            for (digest, bytes) in image.blobs {
                let descriptor = Descriptor(mediaType: .ociLayerTar, digest: digest, size: Int64(bytes.count))
                _ = try await setup.client(for: address).uploadBlob(repository, descriptor) { DataByteSource(bytes) }
            }
            let layout = try LayoutScratchDirectory()
            try LayoutFixtures.writeLayout([LayoutFixtures.Entry(image, refName: "x")], to: layout.path)
            let session = try RegistryTestSessions.session(.plain)
            let report = try await ImageCopier().copy(
                from: try OCILayoutSource(directory: layout.path, tag: "x"),
                to: RegistryRepository(
                    session: session, reference: try Reference(parsing: "\(address)/\(repository):x")),
                tag: "x")
            #expect(report.blobsSkipped == image.blobs.count)
            requests.append(session.http.statistics.requestsStarted)
        }
        // Four more layers, four more requests.
        #expect(requests[1] - requests[0] == 4)
    }
}
