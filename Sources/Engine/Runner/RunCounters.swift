import Foundation
import Queue

/// Live totals of one runner, safe to read from any thread while it runs (a progress display
/// polls them).
public final class RunCounters: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var bytes: Int64 = 0
    private var finished: [StepOutcome: Int] = [:]
    private var retries = 0

    public init() {}

    /// Bytes executors reported as sent or received.
    public var bytesMoved: Int64 { lock.withLock { bytes } }
    /// Steps this runner brought to each final outcome.
    public var finishedByOutcome: [StepOutcome: Int] { lock.withLock { finished } }
    /// Retries this runner scheduled.
    public var retriesScheduled: Int { lock.withLock { retries } }

    func addBytesMoved(_ count: Int64) {
        lock.withLock { bytes += count }
    }

    func recordFinished(_ outcome: StepOutcome) {
        lock.withLock { finished[outcome, default: 0] += 1 }
    }

    func recordRetry() {
        lock.withLock { retries += 1 }
    }
}
