import Foundation

/// How often and how patiently a failing step is retried.
///
/// The delay before the retry that follows failed attempt `n` (from 1) is drawn from a band
/// whose top is `min(initialDelay × 2^(n-1), maxDelay)`; the cap applies before any conversion,
/// so large attempt numbers cannot overflow. With `initialDelay` 1 s and `maxDelay` 60 s:
///
/// | after attempt | top of band | `.equal` jitter | `.full` jitter |
/// |---------------|-------------|-----------------|----------------|
/// | 1             | 1 s         | 0.5 – 1 s       | 0 – 1 s        |
/// | 2             | 2 s         | 1 – 2 s         | 0 – 2 s        |
/// | 3             | 4 s         | 2 – 4 s         | 0 – 4 s        |
/// | 4             | 8 s         | 4 – 8 s         | 0 – 8 s        |
/// | 5             | 16 s        | 8 – 16 s        | 0 – 16 s       |
/// | 6             | 32 s        | 16 – 32 s       | 0 – 32 s       |
/// | 7 and later   | 60 s        | 30 – 60 s       | 0 – 60 s       |
///
/// A server's `Retry-After` raises the delay to what it asked for, up to `retryAfterLimit`: a
/// server that asks for a day does not get to park the run for a day.
public struct RetryPolicy: Sendable, Equatable {
    /// How the delay is spread within its band, so that many workers do not retry in step.
    public enum Jitter: Sendable, Equatable {
        /// Anywhere from zero to the top of the band.
        case full
        /// Anywhere in the upper half of the band: always waits at least half.
        case equal
        /// Exactly the top of the band.
        case none
    }

    /// Attempts in all, the first included; the planner stores it as each step's maximum.
    public var attempts: Int
    public var initialDelay: Duration
    public var maxDelay: Duration
    public var jitter: Jitter
    /// The most a `Retry-After` can make a step wait.
    public var retryAfterLimit: Duration

    public init(
        attempts: Int = 5, initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(60),
        jitter: Jitter = .equal, retryAfterLimit: Duration = .seconds(300)
    ) {
        self.attempts = attempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.retryAfterLimit = retryAfterLimit
    }

    /// The top of the backoff band after failed attempt `attempt` (from 1), in seconds.
    public func bandTop(afterAttempt attempt: Int) -> Double {
        let initial = max(initialDelay.timeInterval, 0)
        let cap = max(maxDelay.timeInterval, 0)
        // 2^62 is already far beyond any cap; clamping the exponent keeps the Double finite.
        let exponent = min(max(attempt - 1, 0), 62)
        return min(initial * Double(sign: .plus, exponent: exponent, significand: 1), cap)
    }

    /// The delay before retrying after failed attempt `attempt`.
    ///
    /// - Parameters:
    ///   - attempt: The number of the attempt that failed, from 1.
    ///   - retryAfter: What the server asked for, if anything.
    ///   - unitRandom: A random number in 0...1 that places the delay within its band; values
    ///     outside are clamped. Passing it in keeps this function pure and testable.
    /// - Returns: The delay, in whole milliseconds: never more than `maxDelay` unless `retryAfter`
    ///   asks for more, and then never more than `retryAfterLimit`.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil, unitRandom: Double) -> Duration {
        let top = bandTop(afterAttempt: attempt)
        let fraction = unitRandom.isNaN ? 1 : min(max(unitRandom, 0), 1)
        let backoff: Double
        switch jitter {
        case .full: backoff = top * fraction
        case .equal: backoff = top / 2 + top / 2 * fraction
        case .none: backoff = top
        }
        let requested = min(max(retryAfter?.timeInterval ?? 0, 0), max(retryAfterLimit.timeInterval, 0))
        return .milliseconds(Int64((max(backoff, requested) * 1000).rounded(.down)))
    }

    /// The delay before retrying after failed attempt `attempt`, drawing from `generator`.
    public func delay(
        afterAttempt attempt: Int, retryAfter: Duration? = nil, using generator: inout some RandomNumberGenerator
    ) -> Duration {
        delay(afterAttempt: attempt, retryAfter: retryAfter, unitRandom: Double.random(in: 0...1, using: &generator))
    }
}
