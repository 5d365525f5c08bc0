import ByteStreams
import Foundation

/// Passes chunks through from another source while hashing and counting them.
///
/// Throws as soon as more than the expected size arrives, instead of returning the chunk that
/// completes the expected size when the digest differs, and at the end when the content was short,
/// so a truncated or corrupt blob is never taken for the real one.
public final class VerifyingByteSource: ByteSource, @unchecked Sendable {
    private let lock = NSLock()
    private let source: any ByteSource
    private let hasher = SHA256Hasher()
    private var finished = false
    private var count: Int64 = 0

    public let expectedDigest: Digest
    /// `nil` when the size is not known in advance.
    public let expectedSize: Int64?
    /// What the content is, used in error messages ("layer sha256:… of repo/x").
    public let subject: String

    public init(wrapping source: any ByteSource, digest: Digest, size: Int64?, subject: String? = nil) throws {
        guard digest.algorithm == "sha256" else {
            throw OCIError(.invalidDigest, "cannot verify \(digest): only sha256 content can be checked")
        }
        self.source = source
        self.expectedDigest = digest
        self.expectedSize = size
        self.subject = subject ?? "blob \(digest)"
    }

    public convenience init(wrapping source: any ByteSource, descriptor: Descriptor, subject: String? = nil) throws {
        try self.init(wrapping: source, digest: descriptor.digest, size: descriptor.size, subject: subject)
    }

    /// Bytes passed through so far.
    public var bytesRead: Int64 { lock.withLock { count } }

    public func read() async throws -> Data? {
        guard let chunk = try await source.read() else {
            try lock.withLock { try finish() }
            return nil
        }
        try lock.withLock {
            count += Int64(chunk.count)
            if let expectedSize, count > expectedSize {
                source.close()
                throw OCIError(
                    .sizeMismatch,
                    "\(subject): received more than the expected \(expectedSize) bytes"
                )
            }
            hasher.update(chunk)
            // Check on the last byte, before handing the chunk on: a consumer that stops reading
            // once it has the expected size (an upload with a declared length) never gets bad content.
            if let expectedSize, count == expectedSize { try finish() }
        }
        return chunk
    }

    public func close() { source.close() }

    private func finish() throws {
        guard !finished else { return }
        finished = true
        if let expectedSize, count != expectedSize {
            throw OCIError(
                .sizeMismatch, "\(subject): expected \(expectedSize) bytes but the content ended after \(count)")
        }
        let actual = hasher.finalize()
        guard actual == expectedDigest else {
            throw OCIError(.digestMismatch, "\(subject): content has digest \(actual), expected \(expectedDigest)")
        }
    }
}
