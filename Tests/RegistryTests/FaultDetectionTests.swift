import Foundation
import OCI
import TestSupport
import Testing

@testable import Registry

/// Corrupt downloads are caught by ocibatch itself, before anything downstream sees the bad bytes.
@Suite struct FaultDetectionTests {
    /// An upload with a declared length stops reading its source at that length; if the chunk that
    /// completes a corrupt blob were handed on, only the destination registry could notice.
    @Test(arguments: [100_000, 3 << 20])
    func corruptBlobNeverHandsOnItsLastChunk(size: Int) async throws {
        let real = OCITestImages.randomBytes(seed: 3, count: size)
        var corrupt = real
        corrupt[corrupt.startIndex + size / 2] ^= 0xFF
        let descriptor = Descriptor(mediaType: .ociLayerTar, digest: Digest.sha256(real), size: Int64(size))
        let served = corrupt
        let fake = try RegistryFakeServer { _, _ in .respond(status: 200, body: served) }
        // The session owns the HTTP client the stream reads from: keep it until the end.
        let session = fake.session()
        let source = try await session.client(for: fake.address).getBlob("a/b", descriptor)
        var delivered = 0
        var failure: (any Error)?
        do {
            while let chunk = try await source.read() { delivered += chunk.count }
        } catch {
            failure = error
        }
        #expect((failure as? RegistryError)?.kind == .digestMismatch, "\(String(describing: failure))")
        #expect(delivered < size)
        #expect(fake.requests.count == 1)  // keeps the fake serving until the body was read
        session.http.shutdown()
    }
}
