import ByteStreams
import Foundation

/// Hands request body bytes to curl's read callback without blocking the curl thread.
///
/// In-memory bodies are served directly. A streamed body is pulled by a task into a one-chunk
/// buffer; when the buffer is empty the read callback pauses the transfer, and the task asks the
/// engine to resume it once the next chunk is in.
final class RequestBodyFeeder: @unchecked Sendable {
    enum Step {
        case bytes(Int)
        case pause
        case end
        case abort
    }

    private let lock = NSLock()
    private var buffer: Data
    private var offset = 0
    private var ended: Bool
    private var failure: (any Error)?
    private var transferPaused = false
    private var pumpWaiting: CheckedContinuation<Void, Never>?
    private var pump: Task<Void, Never>?
    private let statistics: StatisticsRecorder

    /// A body that is already in memory.
    init(data: Data, statistics: StatisticsRecorder) {
        self.buffer = data
        self.ended = true
        self.statistics = statistics
    }

    /// A body read from the source `makeSource` creates, which must hold `length` bytes when given.
    init(
        makeSource: @escaping @Sendable () async throws -> any ByteSource, length: Int64?,
        statistics: StatisticsRecorder, resumeTransfer: @escaping @Sendable () -> Void
    ) {
        self.buffer = Data()
        self.ended = false
        self.statistics = statistics
        let task = Task { [weak self] in
            guard let self else { return }
            await pull(makeSource: makeSource, length: length, resumeTransfer: resumeTransfer)
        }
        lock.withLock { pump = task }
    }

    /// The error the body source threw, if that is why the upload stopped.
    var sourceFailure: (any Error)? { lock.withLock { failure } }

    /// Called on the curl thread: copies up to `into.count` bytes.
    func fill(_ destination: UnsafeMutableRawBufferPointer) -> Step {
        let (step, pumpToWake) = lock.withLock { () -> (Step, CheckedContinuation<Void, Never>?) in
            if failure != nil { return (.abort, nil) }
            let available = buffer.count - offset
            guard available > 0 else {
                if ended { return (.end, nil) }
                transferPaused = true
                return (.pause, nil)
            }
            let count = min(available, destination.count)
            buffer.withUnsafeBytes { source in
                guard let base = source.baseAddress, let target = destination.baseAddress else { return }
                target.copyMemory(from: base + offset, byteCount: count)
            }
            offset += count
            guard offset == buffer.count, !ended else { return (.bytes(count), nil) }
            buffer = Data()
            offset = 0
            defer { pumpWaiting = nil }
            return (.bytes(count), pumpWaiting)
        }
        if case .pause = step { statistics.update { $0.sendPauses += 1 } }
        pumpToWake?.resume()
        return step
    }

    /// Stops pulling from the source (the transfer is over).
    func stop() {
        let (task, waiter) = lock.withLock { () -> (Task<Void, Never>?, CheckedContinuation<Void, Never>?) in
            ended = true
            defer {
                pump = nil
                pumpWaiting = nil
            }
            return (pump, pumpWaiting)
        }
        task?.cancel()
        waiter?.resume()
    }

    private func pull(
        makeSource: @Sendable () async throws -> any ByteSource, length: Int64?, resumeTransfer: @Sendable () -> Void
    ) async {
        var source: (any ByteSource)?
        var total: Int64 = 0
        do {
            let opened = try await makeSource()
            source = opened
            while let chunk = try await opened.read() {
                try Task.checkCancellation()
                total += Int64(chunk.count)
                if let length, total > length { throw BodyLengthMismatch(declared: length, actual: total) }
                await waitForEmptyBuffer()
                let wasPaused = lock.withLock { () -> Bool? in
                    if ended { return nil }
                    buffer = chunk
                    offset = 0
                    defer { transferPaused = false }
                    return transferPaused
                }
                guard let wasPaused else { break }
                statistics.noteRequestBuffered(chunk.count)
                if wasPaused { resumeTransfer() }
            }
            if let length, total != length { throw BodyLengthMismatch(declared: length, actual: total) }
            await waitForEmptyBuffer()
            let wasPaused = lock.withLock { () -> Bool in
                ended = true
                defer { transferPaused = false }
                return transferPaused
            }
            if wasPaused { resumeTransfer() }
        } catch {
            let wasPaused = lock.withLock { () -> Bool in
                if !ended { failure = error }
                defer { transferPaused = false }
                return transferPaused
            }
            if wasPaused { resumeTransfer() }
        }
        source?.close()
    }

    private func waitForEmptyBuffer() async {
        await withCheckedContinuation { continuation in
            let resumeNow = lock.withLock { () -> Bool in
                if ended || offset >= buffer.count { return true }
                pumpWaiting = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}

/// A streamed body that did not match the length declared for it.
struct BodyLengthMismatch: Error, CustomStringConvertible {
    let declared: Int64
    let actual: Int64

    var description: String {
        actual > declared
            ? "the body source gave more than the \(declared) bytes declared"
            : "the body source ended after \(actual) of the \(declared) bytes declared"
    }
}
