import Foundation

/// How far a shutdown has gone.
public enum ShutdownLevel: Int, Sendable, Comparable {
    /// Keep working.
    case none
    /// Stop claiming; let running steps finish within the grace period.
    case graceful
    /// Cancel running steps now.
    case immediate

    public static func < (lhs: ShutdownLevel, rhs: ShutdownLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Asks a runner to stop: the first request is graceful, a second one immediate. Signals feed it
/// (see `UnixSignals`), and so can tests or an embedding program.
///
/// This is kept apart from task cancellation: a graceful shutdown lets work finish and records it,
/// while cancelling the runner's task stops everything at once.
public final class ShutdownTrigger: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var currentLevel = ShutdownLevel.none
    private var observers: [Int: @Sendable (ShutdownLevel) -> Void] = [:]
    private var nextObserverID = 0

    public init() {}

    public var level: ShutdownLevel { lock.withLock { currentLevel } }

    /// Graceful the first time, immediate after that.
    public func requestShutdown() {
        escalate { $0 == .none ? .graceful : .immediate }
    }

    /// Cancels running steps without a grace period.
    public func requestImmediateShutdown() {
        escalate { _ in .immediate }
    }

    private func escalate(_ next: (ShutdownLevel) -> ShutdownLevel) {
        let (level, handlers) = lock.withLock {
            currentLevel = max(currentLevel, next(currentLevel))
            return (currentLevel, Array(observers.values))
        }
        for handler in handlers { handler(level) }
    }

    /// Calls `handler` with the level now (if a shutdown was already asked for) and on every
    /// request from now on. Returns a token for `removeObserver`.
    func addObserver(_ handler: @escaping @Sendable (ShutdownLevel) -> Void) -> Int {
        let (id, level) = lock.withLock {
            nextObserverID += 1
            observers[nextObserverID] = handler
            return (nextObserverID, currentLevel)
        }
        if level != .none { handler(level) }
        return id
    }

    func removeObserver(_ id: Int) {
        lock.withLock { _ = observers.removeValue(forKey: id) }
    }
}
