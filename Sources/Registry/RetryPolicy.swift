import Foundation

/// How often and how patiently one registry request is retried after a retryable failure.
///
/// Kept small on purpose: the engine also retries whole steps. Delays grow exponentially from
/// `baseDelay`, are capped at `maxDelay`, and carry jitter (a random factor in 0.5…1.0):
///
/// | retry | delay before jitter (defaults) |
/// |---|---|
/// | 1 | 0.25 s |
/// | 2 | 0.5 s |
/// | 3 | 1 s |
///
/// A server's `Retry-After` wins when it is longer, unless it exceeds `maxRetryAfter`: the
/// request then fails at once and the error carries the wait.
public struct RetryPolicy: Sendable {
    /// Attempts in total, the first included.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    public var maxRetryAfter: Duration
    /// A number in 0..<1; injected so tests can pin the jitter.
    public var random: @Sendable () -> Double
    /// Waits between attempts; injected so tests need not wait.
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(
        maxAttempts: Int = 3,
        baseDelay: Duration = .milliseconds(250),
        maxDelay: Duration = .seconds(4),
        maxRetryAfter: Duration = .seconds(30),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
        self.random = random
        self.sleep = sleep
    }

    /// No retries at all.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The wait before retry number `retry` (1-based), or nil when the request should not be retried.
    public func delay(beforeRetry retry: Int, retryAfter: Duration?) -> Duration? {
        guard retry >= 1, retry < maxAttempts else { return nil }
        if let retryAfter, retryAfter > maxRetryAfter { return nil }
        let exponent = min(retry - 1, 30)
        let uncapped = baseDelay * (1 << exponent)
        let capped = uncapped > maxDelay ? maxDelay : uncapped
        let jittered = capped * (0.5 + 0.5 * min(max(random(), 0), 1))
        guard let retryAfter, retryAfter > jittered else { return jittered }
        return retryAfter
    }
}
