import Foundation

/// The time source of a runner: it must be the same clock the queue store stamps with, because the
/// runner schedules retries (`now + backoff`) and waits for times the store reports.
public protocol RunnerClock: Sendable {
    var now: Date { get }
    /// Returns at or after `deadline`; throws `CancellationError` if the task is cancelled first.
    func sleep(until deadline: Date) async throws
}

/// The wall clock, for real runs.
public struct SystemRunnerClock: RunnerClock {
    public init() {}

    public var now: Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        guard seconds > 0 else { return try Task.checkCancellation() }
        try await Task.sleep(for: .seconds(seconds))
    }
}

extension Date {
    /// This date moved forward by a Swift `Duration`.
    func adding(_ duration: Duration) -> Date {
        addingTimeInterval(duration.timeInterval)
    }
}

extension Duration {
    /// The duration in seconds, as Foundation measures time.
    var timeInterval: TimeInterval {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
