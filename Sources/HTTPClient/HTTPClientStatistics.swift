import Foundation

/// Counters for tests and benchmarks: a snapshot taken under the engine's statistics lock.
public struct HTTPClientStatistics: Sendable, Equatable {
    /// Requests handed to curl.
    public var requestsStarted = 0
    /// Request body bytes given to curl.
    public var bytesSent: Int64 = 0
    /// Response body bytes received from curl.
    public var bytesReceived: Int64 = 0
    /// Transfers curl is working on now.
    public var inFlight = 0
    /// The most transfers curl has worked on at once.
    public var peakInFlight = 0
    /// Requests waiting for a free slot under `maxConcurrentTransfers`.
    public var queued = 0
    /// The most response bytes a streamed body held while waiting for its reader.
    public var peakBufferedResponseBytes = 0
    /// The most request bytes held between a body source and curl.
    public var peakBufferedRequestBytes = 0
    /// Times a download paused because its reader was behind.
    public var receivePauses = 0
    /// Times an upload paused because its body source had nothing ready.
    public var sendPauses = 0
}

/// The engine's live counters, shared by its thread and the callers.
final class StatisticsRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var value = HTTPClientStatistics()

    var snapshot: HTTPClientStatistics { lock.withLock { value } }

    func update(_ change: (inout HTTPClientStatistics) -> Void) {
        lock.withLock { change(&value) }
    }

    func noteResponseBuffered(_ bytes: Int) {
        lock.withLock { value.peakBufferedResponseBytes = max(value.peakBufferedResponseBytes, bytes) }
    }

    func noteRequestBuffered(_ bytes: Int) {
        lock.withLock { value.peakBufferedRequestBytes = max(value.peakBufferedRequestBytes, bytes) }
    }
}
