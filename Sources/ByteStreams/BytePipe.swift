import Foundation

/// A bounded in-memory pipe: one producer writes chunks, one consumer reads them.
///
/// The producer is suspended while `capacity` bytes are waiting, so a fast download feeding a
/// slow upload holds at most `capacity` bytes (plus one chunk) in memory. Either side can fail
/// or close the pipe; the other side then sees the error.
public final class BytePipe: ByteSource, @unchecked Sendable {
    private let lock = NSLock()
    private let capacity: Int
    private var chunks: [Data] = []
    private var buffered = 0
    private var finished = false
    private var failure: (any Error)?
    private var readerWaiting: CheckedContinuation<Void, Never>?
    private var writerWaiting: CheckedContinuation<Void, Never>?

    public init(capacity: Int = 4 << 20) {
        self.capacity = max(1, capacity)
    }

    /// Appends a chunk, waiting while the pipe is full. Throws once the reader has closed it.
    public func write(_ chunk: Data) async throws {
        guard !chunk.isEmpty else { return }
        while true {
            let state: (wait: Bool, error: (any Error)?) = lock.withLock {
                if let failure { return (false, failure) }
                if finished { return (false, ByteSourceError.closed) }
                return (buffered >= capacity, nil)
            }
            if let error = state.error { throw error }
            if !state.wait { break }
            await withCheckedContinuation { continuation in
                let resumeNow = lock.withLock { () -> Bool in
                    if buffered < capacity || finished || failure != nil { return true }
                    writerWaiting = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
        let reader = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            chunks.append(chunk)
            buffered += chunk.count
            defer { readerWaiting = nil }
            return readerWaiting
        }
        reader?.resume()
    }

    /// Marks the end of the stream, or a failure that the reader will see.
    public func finish(throwing error: (any Error)? = nil) {
        let waiters = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            if !finished && failure == nil {
                if let error { failure = error } else { finished = true }
            }
            defer {
                readerWaiting = nil
                writerWaiting = nil
            }
            return [readerWaiting, writerWaiting].compactMap { $0 }
        }
        for waiter in waiters { waiter.resume() }
    }

    public func read() async throws -> Data? {
        while true {
            let state: (chunk: Data?, done: Bool, error: (any Error)?) = lock.withLock {
                if !chunks.isEmpty {
                    let chunk = chunks.removeFirst()
                    buffered -= chunk.count
                    return (chunk, false, nil)
                }
                if let failure { return (nil, true, failure) }
                return (nil, finished, nil)
            }
            if let chunk = state.chunk {
                let writer = lock.withLock { () -> CheckedContinuation<Void, Never>? in
                    defer { writerWaiting = nil }
                    return writerWaiting
                }
                writer?.resume()
                return chunk
            }
            if let error = state.error { throw error }
            if state.done { return nil }
            await withCheckedContinuation { continuation in
                let resumeNow = lock.withLock { () -> Bool in
                    if !chunks.isEmpty || finished || failure != nil { return true }
                    readerWaiting = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// The reader gives up: the writer's next `write` throws.
    public func close() {
        finish(throwing: ByteSourceError.closed)
    }
}
