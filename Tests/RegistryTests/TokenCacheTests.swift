import Foundation
import TestSupport
import Testing

@testable import Registry

/// A clock the test moves by hand.
private final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = ContinuousClock.now
    var now: ContinuousClock.Instant { lock.withLock { current } }
    func advance(_ duration: Duration) { lock.withLock { current += duration } }
}

/// Counts fetches and can hold them until released, so concurrent callers overlap for certain.
private final class TokenSource: @unchecked Sendable {
    private let lock = NSLock()
    private var fetches = 0
    private var gate: CheckedContinuation<Void, Never>?
    private var held = false
    private let hold: Bool
    var count: Int { lock.withLock { fetches } }
    var isHeld: Bool { lock.withLock { held } }

    init(hold: Bool = false) { self.hold = hold }

    func fetch(lifetime: Duration?) async throws -> TokenCache.Issued {
        let number = lock.withLock { () -> Int in
            fetches += 1
            return fetches
        }
        if hold {
            await withCheckedContinuation { continuation in
                lock.withLock {
                    gate = continuation
                    held = true
                }
            }
        }
        return TokenCache.Issued(token: "token-\(number)", lifetime: lifetime)
    }

    func release() {
        let waiting = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            defer { gate = nil }
            return gate
        }
        waiting?.resume()
    }
}

@Suite struct TokenCacheTests {
    private let key = TokenCache.Key(
        registry: "r", realm: "https://auth/token", service: "s", scope: "repository:a:pull")

    @Test func tokenIsReusedUntilShortlyBeforeItExpires() async throws {
        let clock = ManualClock()
        let cache = TokenCache(now: { clock.now })
        let source = TokenSource()
        let fetch: @Sendable () async throws -> TokenCache.Issued = { try await source.fetch(lifetime: .seconds(100)) }
        #expect(try await cache.token(for: key, fetch: fetch) == "token-1")
        clock.advance(.seconds(89))
        #expect(try await cache.token(for: key, fetch: fetch) == "token-1")
        clock.advance(.seconds(2))  // 91 s: inside the last tenth, renewed early
        #expect(try await cache.token(for: key, fetch: fetch) == "token-2")
    }

    @Test func missingLifetimeMeansSixtySeconds() async throws {
        let clock = ManualClock()
        let cache = TokenCache(now: { clock.now })
        let source = TokenSource()
        let fetch: @Sendable () async throws -> TokenCache.Issued = { try await source.fetch(lifetime: nil) }
        _ = try await cache.token(for: key, fetch: fetch)
        clock.advance(.seconds(53))
        #expect(try await cache.token(for: key, fetch: fetch) == "token-1")
        clock.advance(.seconds(2))
        #expect(try await cache.token(for: key, fetch: fetch) == "token-2")
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let cache = TokenCache()
        let source = TokenSource(hold: true)
        let key = key
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 {
                group.addTask { try await cache.token(for: key) { try await source.fetch(lifetime: nil) } }
            }
            // Let the first fetch stay open until every caller has had its chance to start another.
            _ = await HTTPTestPolling.until { source.isHeld }
            source.release()
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(tokens == Array(repeating: "token-1", count: 10))
        #expect(source.count == 1)
        #expect(await cache.fetchCount == 1)
    }

    @Test func invalidateDropsOnlyTheRefusedToken() async throws {
        let cache = TokenCache()
        let source = TokenSource()
        let fetch: @Sendable () async throws -> TokenCache.Issued = { try await source.fetch(lifetime: nil) }
        _ = try await cache.token(for: key, fetch: fetch)
        await cache.invalidate(key, token: "some-older-token")
        #expect(try await cache.token(for: key, fetch: fetch) == "token-1")
        await cache.invalidate(key, token: "token-1")
        #expect(try await cache.token(for: key, fetch: fetch) == "token-2")
    }

    @Test func failedFetchIsNotCached() async throws {
        let cache = TokenCache()
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await cache.token(for: key) { throw Refused() } }
        #expect(try await cache.token(for: key) { TokenCache.Issued(token: "ok", lifetime: nil) } == "ok")
    }
}

@Suite struct RetryPolicyTests {
    @Test func delaysGrowAreCappedAndStayInTheJitterBand() {
        for random in [0.0, 0.5, 0.999] {
            let policy = RetryPolicy(
                maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(1), random: { random })
            var previous: Duration = .zero
            for retry in 1..<10 {
                guard let delay = policy.delay(beforeRetry: retry, retryAfter: nil) else {
                    Issue.record("retry \(retry) of 10 attempts has no delay")
                    continue
                }
                let ceiling = min(Duration.milliseconds(100) * (1 << (retry - 1)), .seconds(1))
                #expect(delay >= ceiling / 2 && delay <= ceiling)
                #expect(delay >= previous)
                previous = delay
            }
        }
    }

    @Test func attemptsRunOutAndRetryAfterWinsUnlessTooLong() {
        let policy = RetryPolicy(
            maxAttempts: 3, baseDelay: .milliseconds(100), maxRetryAfter: .seconds(30), random: { 0 })
        #expect(policy.delay(beforeRetry: 3, retryAfter: nil) == nil)
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(5)) == .seconds(5))
        #expect(policy.delay(beforeRetry: 1, retryAfter: .milliseconds(1)) == .milliseconds(50))
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(31)) == nil)
        #expect(RetryPolicy.none.delay(beforeRetry: 1, retryAfter: nil) == nil)
    }
}

@Suite struct LinkAndFormTests {
    @Test(
        arguments: [
            (#"</v2/_catalog?last=b&n=2>; rel="next""#, "https://r.example/v2/_catalog?last=b&n=2"),
            (#"<https://other.example/page2>; rel=next"#, "https://other.example/page2"),
            (#"<https://r.example/prev>; rel="prev", </v2/x?page=3>; rel="next""#, "https://r.example/v2/x?page=3"),
            (#"</first>; rel="first""#, nil),
        ] as [(String, String?)])
    func nextLinkIsFound(header: String, expected: String?) throws {
        let base = try #require(URL(string: "https://r.example/v2/_catalog?n=2"))
        #expect(RegistryClient.nextLink([header], relativeTo: base)?.absoluteString == expected)
    }

    @Test func formEncodingEscapesEverythingButUnreserved() {
        #expect(FormEncoding.escape("a b+c/d:e&f=g%") == "a+b%2Bc%2Fd%3Ae%26f%3Dg%25")
        #expect(
            FormEncoding.encode([("grant_type", "refresh_token"), ("k", "v w")]) == "grant_type=refresh_token&k=v+w")
    }
}
