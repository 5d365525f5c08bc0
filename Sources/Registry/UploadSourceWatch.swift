import ByteStreams
import Foundation
import HTTPClient
import OCI

/// Watches the source a blob upload streams from, so that an upload that stops because its
/// source stopped (a stalled or failed download from another registry) blames the source rather
/// than the destination it was writing to.
final class UploadSourceWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var readStarted: ContinuousClock.Instant?
    /// How long the last read that was interrupted (the upload gave up on it) had waited.
    private var interruptedWait: Duration?
    private var failure: (any Error)?
    private var sourceName: String?

    /// `make`, with every source it makes watched.
    func watching(_ make: @escaping @Sendable () async throws -> any ByteSource)
        -> @Sendable () async throws -> any ByteSource
    {
        { [self] in
            let source = try await make()
            lock.withLock { sourceName = (source as? any CustomStringConvertible)?.description }
            return WatchedByteSource(source, watch: self)
        }
    }

    fileprivate func readBegins() { lock.withLock { readStarted = .now } }

    fileprivate func readEnds(_ error: (any Error)?) {
        lock.withLock {
            if error is CancellationError, let readStarted { interruptedWait = .now - readStarted }
            readStarted = nil
            if let error, !(error is CancellationError), failure == nil { failure = error }
        }
    }

    /// The error to report for an upload that failed with `error`: the source's failure, or its
    /// stall (a read waiting for at least half the stall timeout), named first; else `error`.
    func blame(for error: any Error, digest: Digest, destination: String, stallTimeout: Duration) -> any Error {
        guard !(error is CancellationError) else { return error }
        let (waited, failure, name) = lock.withLock {
            (readStarted.map { .now - $0 } ?? interruptedWait, self.failure, sourceName)
        }
        let source = "reading blob \(digest)" + (name.map { " from \($0)" } ?? "")
        let aborted = "upload to \(destination) aborted"
        if let failure = failure as? RegistryError {
            let problem: String
            if let transport = failure.underlying as? HTTPClientError {
                problem = transport.problem
            } else {
                var bare = failure
                bare.method = nil
                bare.url = nil
                problem = bare.description
            }
            return RegistryError(failure.kind, message: "\(source): \(problem); \(aborted)")
        }
        if failure != nil { return error }
        guard let waited, waited >= stallTimeout / 2,
            let uploadError = error as? RegistryError, uploadError.kind == .network
        else { return error }
        return RegistryError(
            .network,
            message: "\(source): no data for \(waited.components.seconds) s (the source stalled); \(aborted)")
    }
}

/// A byte source that tells its watch when a read starts, ends and fails.
private final class WatchedByteSource: ByteSource, @unchecked Sendable {
    private let inner: any ByteSource
    private let watch: UploadSourceWatch

    init(_ inner: any ByteSource, watch: UploadSourceWatch) {
        self.inner = inner
        self.watch = watch
    }

    func read() async throws -> Data? {
        watch.readBegins()
        do {
            let chunk = try await inner.read()
            watch.readEnds(nil)
            return chunk
        } catch {
            watch.readEnds(error)
            throw error
        }
    }

    func close() { inner.close() }
}
