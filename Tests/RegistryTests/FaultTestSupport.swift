import Foundation
import ImageTransports
import OCI
import Registry
import TestSupport

/// Images, sessions and checks shared by the tests that copy through a `FaultProxy`.
enum FaultTestSupport {
    /// Records every wait a retry policy asks for, then waits a token time (so retries really happen).
    final class RetryWaits: @unchecked Sendable {
        private let lock = NSLock()
        private var recorded: [Duration] = []
        var waits: [Duration] { lock.withLock { recorded } }

        /// Many attempts with tiny delays: faults cost milliseconds, not seconds. A `Retry-After`
        /// is recorded as asked but waited only briefly.
        func policy(maxAttempts: Int = 8) -> RetryPolicy {
            RetryPolicy(
                maxAttempts: maxAttempts, baseDelay: .milliseconds(2), maxDelay: .milliseconds(20),
                maxRetryAfter: .seconds(5), random: { 0.5 },
                sleep: { [self] duration in
                    lock.withLock { recorded.append(duration) }
                    try await Task.sleep(for: min(duration, .milliseconds(20)))
                })
        }
    }

    /// Tagged images written to a layout: a two-platform index and single images with 1–4 MiB layers.
    struct SourceImages {
        let layout: LayoutScratchDirectory
        let images: [(tag: String, image: OCITestImage)]

        init(seed: UInt64, small: Bool = false) throws {
            let scale = small ? 64 << 10 : 1 << 20
            let images = [
                ("multi", try OCITestImages.index(seed: seed, layerCount: 2, layerSize: scale)),
                ("big", try OCITestImages.image(seed: seed &+ 10, layerCount: 1, layerSize: 4 * scale)),
                ("three", try OCITestImages.image(seed: seed &+ 20, layerCount: 3, layerSize: scale + scale / 2)),
            ]
            layout = try LayoutScratchDirectory()
            try LayoutFixtures.writeLayout(images.map { LayoutFixtures.Entry($0.1, refName: $0.0) }, to: layout.path)
            self.images = images
        }

        func source(_ tag: String) throws -> OCILayoutSource {
            try OCILayoutSource(directory: layout.path, tag: tag)
        }
    }

    /// A session that reaches each address over plain http without the https probe.
    static func session(
        _ addresses: [String], retryPolicy: RetryPolicy, monolithicLimit: Int64 = 8 << 20, chunkSize: Int64? = nil,
        stallTimeout: Duration? = nil
    ) -> RegistrySession {
        var configuration = RegistryConfiguration(
            userAgent: "ocibatch-fault-tests", insecureRegistries: Set(addresses.map { "http://" + $0 }),
            retryPolicy: retryPolicy, monolithicUploadLimit: monolithicLimit, uploadChunkSize: chunkSize)
        if let stallTimeout { configuration.transferOptions.stallTimeout = stallTimeout }
        return RegistrySession(configuration: configuration)
    }

    static func repository(_ session: RegistrySession, _ address: String, _ name: String, tag: String) throws
        -> RegistryRepository
    {
        RegistryRepository(session: session, reference: try Reference(parsing: "\(address)/\(name):\(tag)"))
    }

    /// Copies, starting over after a failure up to `attempts` times, as the engine retries a step.
    /// Returns the report and the errors of the failed attempts.
    static func copyRetryingSteps(
        attempts: Int, from source: @escaping () throws -> any ImageSource,
        to destination: @escaping () throws -> any ImageDestination, tag: String
    ) async throws -> (CopyReport, [any Error]) {
        var failures: [any Error] = []
        while true {
            do {
                return (try await ImageCopier().copy(from: try source(), to: try destination(), tag: tag), failures)
            } catch {
                failures.append(error)
                if failures.count >= attempts { throw error }
            }
        }
    }

    /// Checks, talking to the registry directly, that `tag` holds exactly `image`: skopeo reads the
    /// same manifest bytes (so the same digest) for the root and every child, and every blob is
    /// there with its size (the registry verified its digest when it was uploaded).
    static func expectStored(
        _ image: OCITestImage, kind: TestRegistryKind, repository: String, tag: String
    ) async throws -> [String] {
        var problems: [String] = []
        let address = try TestServices.registry(kind).address
        let raw = try await RegistryTestSessions.skopeoRawManifest(kind, "\(address)/\(repository):\(tag)")
        if Digest.sha256(raw) != image.rootDigest {
            problems.append("\(repository):\(tag) has digest \(Digest.sha256(raw)), not \(image.rootDigest)")
        }
        for child in image.childManifests {
            let childRaw = try await RegistryTestSessions.skopeoRawManifest(
                kind, "\(address)/\(repository)@\(child.descriptor.digest)")
            if childRaw != child.bytes { problems.append("child \(child.descriptor.digest) differs") }
        }
        let client = try RegistryTestSessions.session(kind).client(for: address)
        for (digest, bytes) in image.blobs {
            let size = try await client.headBlob(repository, digest)
            if size != Int64(bytes.count) {
                problems.append("blob \(digest) has size \(size.map(String.init) ?? "none")")
            }
        }
        return problems
    }
}
