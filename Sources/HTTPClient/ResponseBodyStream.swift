import ByteStreams
import Foundation

/// A streamed response body: curl's thread appends without waiting, the caller reads.
///
/// `BytePipe` suspends its writer, which the curl thread cannot do; here the write callback asks
/// `offer` instead and pauses the transfer when the buffer is full. The reader taking the buffer
/// asks the engine to resume it.
final class ResponseBodyStream: ByteSource, @unchecked Sendable {
    private let lock = NSLock()
    private let capacity: Int
    private var buffer = Data()
    private var transferPaused = false
    private var finished = false
    private var failure: (any Error)?
    private var closedByReader = false
    private var readerWaiting: CheckedContinuation<Void, Never>?
    private let resumeTransfer: @Sendable () -> Void
    private let cancelTransfer: @Sendable () -> Void
    private let statistics: StatisticsRecorder

    init(
        capacity: Int, statistics: StatisticsRecorder, resumeTransfer: @escaping @Sendable () -> Void,
        cancelTransfer: @escaping @Sendable () -> Void
    ) {
        self.capacity = max(1, capacity)
        self.statistics = statistics
        self.resumeTransfer = resumeTransfer
        self.cancelTransfer = cancelTransfer
    }

    /// Called on the curl thread. Returns false when the transfer must pause; curl then keeps the
    /// bytes and offers them again after the reader catches up.
    func offer(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let (accepted, waiter, held) = lock.withLock { () -> (Bool, CheckedContinuation<Void, Never>?, Int) in
            if closedByReader { return (true, nil, 0) }
            if buffer.count >= capacity {
                transferPaused = true
                return (false, nil, buffer.count)
            }
            buffer.append(bytes.bindMemory(to: UInt8.self))
            defer { readerWaiting = nil }
            return (true, readerWaiting, buffer.count)
        }
        statistics.noteResponseBuffered(held)
        if !accepted { statistics.update { $0.receivePauses += 1 } }
        waiter?.resume()
        return accepted
    }

    /// The transfer ended: cleanly when `error` is nil.
    func finish(throwing error: (any Error)?) {
        let waiter = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            if !finished {
                finished = true
                failure = error
            }
            defer { readerWaiting = nil }
            return readerWaiting
        }
        waiter?.resume()
    }

    func read() async throws -> Data? {
        while true {
            let (chunk, done, error, resume) = lock.withLock { () -> (Data?, Bool, (any Error)?, Bool) in
                if closedByReader { return (nil, true, ByteSourceError.closed, false) }
                if !buffer.isEmpty {
                    let chunk = buffer
                    buffer = Data()
                    defer { transferPaused = false }
                    return (chunk, false, nil, transferPaused)
                }
                return (nil, finished, failure, false)
            }
            if resume { resumeTransfer() }
            if let chunk { return chunk }
            if let error { throw error }
            if done { return nil }
            if Task.isCancelled {
                // A reader that gives up releases the transfer rather than leaving it paused.
                close()
                throw CancellationError()
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let resumeNow = lock.withLock { () -> Bool in
                        if !buffer.isEmpty || finished || closedByReader { return true }
                        readerWaiting = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = lock.withLock { () -> CheckedContinuation<Void, Never>? in
                    defer { readerWaiting = nil }
                    return readerWaiting
                }
                waiter?.resume()
            }
        }
    }

    /// The reader stops early: the transfer is cancelled and its connection released.
    func close() {
        let cancel = lock.withLock { () -> Bool in
            defer {
                closedByReader = true
                buffer = Data()
            }
            return !finished && !closedByReader
        }
        if cancel { cancelTransfer() }
    }
}
