import Foundation
import Testing

@testable import Queue

/// A directory under the system temp dir, removed when the value goes away.
final class QueueTemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("queue-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

/// A clock that moves only when a test moves it.
final class QueueTestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = start
    }

    var now: Date { lock.withLock { current } }

    func advance(by seconds: TimeInterval) {
        lock.withLock { current = current.addingTimeInterval(seconds) }
    }

    var function: @Sendable () -> Date { { self.now } }
}

/// A fresh database in a temp dir, with a controllable clock and one run.
struct QueueFixture {
    let directory: QueueTemporaryDirectory
    let clock: QueueTestClock
    let store: SQLiteQueueStore
    let run: RunID

    init() async throws {
        directory = try QueueTemporaryDirectory()
        clock = QueueTestClock()
        store = try SQLiteQueueStore(path: directory.file("queue.db"), clock: clock.function)
        run = try await store.startRun(.sample(), forceNew: false).run.id
    }

    /// Another connection to the same file, as a second process would have.
    func secondStore() throws -> SQLiteQueueStore {
        try SQLiteQueueStore(path: store.path, clock: clock.function)
    }

    /// Claims exactly the steps that are claimable now, for `owner`, by key.
    func claimKeys(owner: String = "worker", limit: Int = 100) async throws -> [String] {
        try await store.claim(run: run, owner: owner, leaseDuration: .seconds(60), limit: limit).map(\.key)
    }

    /// Claims the step with `key` (it must be claimable) and completes it.
    func finish(_ key: String, _ outcome: StepOutcome, _ report: StepReport = StepReport()) async throws {
        let claimed = try await store.claim(run: run, owner: "finisher", leaseDuration: .seconds(60), limit: 1_000)
        let step = try #require(claimed.first { $0.key == key })
        try await store.complete(step.lease, outcome: outcome, report: report)
        _ = try await store.release(owner: "finisher")
    }

    func state(of key: String) async throws -> StepState? {
        try await store.steps(run: run).first { $0.key == key }?.state
    }
}

extension NewRun {
    static func sample(hash: String = "hash-1") -> NewRun {
        NewRun(planName: "nightly", planHash: hash, planJSON: Data(#"{"version":1,"name":"nightly"}"#.utf8))
    }
}

/// The bytes of a file, or nil if it does not exist.
func queueFileBytes(_ path: String) -> Data? {
    FileManager.default.contents(atPath: path)
}
