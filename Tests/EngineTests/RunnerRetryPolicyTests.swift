import Engine
import Foundation
import Testing

@Suite struct RunnerRetryPolicyTests {
    static let policies: [RetryPolicy] = [
        RetryPolicy(initialDelay: .seconds(1), maxDelay: .seconds(60), jitter: .equal),
        RetryPolicy(initialDelay: .seconds(1), maxDelay: .seconds(60), jitter: .full),
        RetryPolicy(initialDelay: .milliseconds(250), maxDelay: .seconds(5), jitter: .none),
        RetryPolicy(initialDelay: .seconds(3), maxDelay: .seconds(1), jitter: .equal),
    ]

    /// The rows of the table in `RetryPolicy`'s documentation, equal jitter.
    @Test(arguments: [
        (1, 0.5, 1.0), (2, 1.0, 2.0), (3, 2.0, 4.0), (4, 4.0, 8.0), (5, 8.0, 16.0), (6, 16.0, 32.0), (7, 30.0, 60.0),
        (50, 30.0, 60.0),
    ])
    func documentedTable(attempt: Int, lowest: Double, highest: Double) {
        let policy = RetryPolicy(initialDelay: .seconds(1), maxDelay: .seconds(60), jitter: .equal)
        #expect(policy.delay(afterAttempt: attempt, unitRandom: 0) == .milliseconds(Int64(lowest * 1000)))
        #expect(policy.delay(afterAttempt: attempt, unitRandom: 1) == .milliseconds(Int64(highest * 1000)))
    }

    @Test(arguments: policies)
    func theBandGrowsAndNeverExceedsTheMaximum(policy: RetryPolicy) {
        var previous = 0.0
        for attempt in 1...200 {
            let top = policy.bandTop(afterAttempt: attempt)
            #expect(top >= previous)
            #expect(top <= policy.maxDelay.seconds)
            previous = top
        }
        #expect(policy.bandTop(afterAttempt: 200) == policy.maxDelay.seconds)  // reaches the cap
        #expect(policy.bandTop(afterAttempt: Int.max).isFinite)
    }

    @Test(arguments: policies)
    func delaysStayWithinTheirBand(policy: RetryPolicy) {
        var generator = SplitMix64(seed: 42)
        for attempt in [1, 2, 3, 5, 8, 13, 40, Int.max] {
            let top = policy.bandTop(afterAttempt: attempt)
            let bottom: Double
            switch policy.jitter {
            case .full: bottom = 0
            case .equal: bottom = top / 2
            case .none: bottom = top
            }
            for _ in 0..<200 {
                let delay = policy.delay(afterAttempt: attempt, using: &generator).seconds
                #expect(delay <= top)
                #expect(delay <= policy.maxDelay.seconds)
                #expect(delay >= bottom - 0.001)  // whole milliseconds, rounded down
            }
        }
    }

    @Test func jitterSpreadsDelays() {
        let policy = RetryPolicy(initialDelay: .seconds(8), maxDelay: .seconds(60), jitter: .full)
        var generator = SplitMix64(seed: 7)
        let delays = Set((0..<50).map { _ in policy.delay(afterAttempt: 3, using: &generator) })
        #expect(delays.count > 40)
    }

    @Test(
        arguments: [
            (nil, 0.75), (0.5, 0.75), (10.0, 10.0), (299.0, 299.0), (86_400.0, 300.0), (-5.0, 0.75),
        ] as [(Double?, Double)])
    func retryAfterRaisesTheDelayUpToItsLimit(retryAfter: Double?, expected: Double) {
        let policy = RetryPolicy(initialDelay: .seconds(1), maxDelay: .seconds(60), jitter: .equal)
        let delay = policy.delay(
            afterAttempt: 1, retryAfter: retryAfter.map { .milliseconds(Int64($0 * 1000)) }, unitRandom: 0.5)
        #expect(delay == .milliseconds(Int64(expected * 1000)))
    }

    @Test func outOfRangeRandomNumbersAreClamped() {
        let policy = RetryPolicy(initialDelay: .seconds(2), maxDelay: .seconds(60), jitter: .full)
        #expect(policy.delay(afterAttempt: 1, unitRandom: -3) == .zero)
        #expect(policy.delay(afterAttempt: 1, unitRandom: 7) == .seconds(2))
        #expect(policy.delay(afterAttempt: 1, unitRandom: .nan) == .seconds(2))
    }

    @Test func classifierTrustsOnlyErrorsThatClassifyThemselves() {
        let classifier = StepFailureClassifier.standard
        #expect(classifier.classify(RetryableTestError()) == .retryable(retryAfter: nil))
        #expect(classifier.classify(RetryableTestError(retryAfter: .seconds(5))) == .retryable(retryAfter: .seconds(5)))
        #expect(classifier.classify(NotRetryableTestError()) == .permanent)
        #expect(classifier.classify(StepRefusal("tag moved since planning")) == .permanent)
        #expect(classifier.classify(UnknownTestError()) == .permanent)
        #expect(classifier.classify(CancellationError()) == .permanent)
    }
}

/// A small seeded generator, so property tests draw the same numbers every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
