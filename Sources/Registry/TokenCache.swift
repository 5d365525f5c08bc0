import Foundation

/// Bearer tokens shared by every request of a run, keyed by registry, realm, service and scope.
///
/// A token is reused until shortly before `expires_in` runs out (60 s when the server does not
/// say). Concurrent requests for a key that has no token share one fetch.
public actor TokenCache {
    /// What a token is good for.
    public struct Key: Hashable, Sendable {
        public var registry: String
        public var realm: String
        public var service: String
        public var scope: String

        public init(registry: String, realm: String, service: String, scope: String) {
            self.registry = registry
            self.realm = realm
            self.service = service
            self.scope = scope
        }
    }

    /// A token as the realm issued it.
    public struct Issued: Sendable {
        public var token: String
        /// `expires_in`, when the server sent one.
        public var lifetime: Duration?

        public init(token: String, lifetime: Duration?) {
            self.token = token
            self.lifetime = lifetime
        }
    }

    public static let defaultLifetime: Duration = .seconds(60)

    private enum Entry {
        case fetching(Task<Issued, any Error>)
        case ready(token: String, usableUntil: ContinuousClock.Instant)
    }

    private let now: @Sendable () -> ContinuousClock.Instant
    private var entries: [Key: Entry] = [:]
    /// Fetches started since the cache was made.
    public private(set) var fetchCount = 0

    public init(now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.now = now
    }

    /// The cached token for `key`, or a fresh one from `fetch` (shared with concurrent callers).
    public func token(for key: Key, fetch: @escaping @Sendable () async throws -> Issued) async throws -> String {
        switch entries[key] {
        case .ready(let token, let usableUntil) where now() < usableUntil:
            return token
        case .fetching(let task):
            return try await task.value.token
        default:
            break
        }
        let started = now()
        let task = Task { try await fetch() }
        entries[key] = .fetching(task)
        fetchCount += 1
        do {
            let issued = try await task.value
            entries[key] = .ready(token: issued.token, usableUntil: started + Self.usableLifetime(issued.lifetime))
            return issued.token
        } catch {
            entries[key] = nil
            throw error
        }
    }

    /// Forgets `token` after the registry refused it, unless another caller already replaced it.
    public func invalidate(_ key: Key, token: String) {
        if case .ready(let cached, _) = entries[key], cached == token { entries[key] = nil }
    }

    /// How long a token is used: its lifetime less a tenth (at most 30 s), so it is renewed before
    /// the registry starts refusing it.
    static func usableLifetime(_ lifetime: Duration?) -> Duration {
        let granted = lifetime.flatMap { $0 > .zero ? $0 : nil } ?? defaultLifetime
        return granted - min(granted / 10, .seconds(30))
    }
}
