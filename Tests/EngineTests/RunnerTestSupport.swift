import Engine
import Foundation
import Queue
import Testing

/// A directory under the system temp dir, removed when the value goes away.
final class RunnerTemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("runner-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A clock that moves only when a test moves it; sleepers wake when it passes their deadline.
final class ManualRunnerClock: RunnerClock, @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var current: Date
    private var sleepers: [Int: (deadline: Date, continuation: CheckedContinuation<Void, any Error>)] = [:]
    private var cancelledSleepers: Set<Int> = []
    private var nextSleeper = 0
    private let sleepStarted: AsyncStream<Date>.Continuation
    /// The deadline of every sleep that had to wait, in order.
    let sleeps: AsyncStream<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = start
        (sleeps, sleepStarted) = AsyncStream.makeStream(of: Date.self)
    }

    var now: Date { lock.withLock { current } }

    var function: @Sendable () -> Date { { self.now } }

    func advance(by seconds: TimeInterval) {
        let due = lock.withLock {
            current = current.addingTimeInterval(seconds)
            let due = sleepers.filter { $0.value.deadline <= current }
            for id in due.keys { sleepers[id] = nil }
            return due.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }

    func sleep(until deadline: Date) async throws {
        let id = lock.withLock {
            nextSleeper += 1
            return nextSleeper
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let immediate: Result<Void, any Error>? = lock.withLock {
                    if cancelledSleepers.contains(id) { return .failure(CancellationError()) }
                    if deadline <= current { return .success(()) }
                    sleepers[id] = (deadline, continuation)
                    return nil
                }
                if let immediate {
                    continuation.resume(with: immediate)
                } else {
                    sleepStarted.yield(deadline)
                }
            }
        } onCancel: {
            let continuation = lock.withLock {
                cancelledSleepers.insert(id)
                return sleepers.removeValue(forKey: id)?.continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Waits until something sleeps until after `date`.
    func waitForSleeper(after date: Date) async {
        for await deadline in sleeps where deadline > date { return }
    }
}

/// A fresh queue database in a temp dir with one run, sharing a manual clock with its runners.
struct RunnerFixture {
    let directory: RunnerTemporaryDirectory
    let clock: ManualRunnerClock
    let store: SQLiteQueueStore
    let run: RunID

    init() async throws {
        directory = try RunnerTemporaryDirectory()
        clock = ManualRunnerClock()
        store = try SQLiteQueueStore(path: directory.path + "/queue.db", clock: clock.function)
        let plan = NewRun(planName: "runner-test", planHash: "runner-test", planJSON: Data("{}".utf8))
        run = try await store.startRun(plan, forceNew: false).run.id
    }

    @discardableResult
    func insert(
        _ keys: [String], kind: StepKind = .noop, maxAttempts: Int = 5, dependsOn: [String] = []
    ) async throws -> [String: StepID] {
        let steps = keys.map {
            NewStep(key: $0, jobID: "job", kind: kind, maxAttempts: maxAttempts, dependsOn: dependsOn)
        }
        return try await store.insertSteps(steps, into: run)
    }

    func runner(
        _ executors: [StepKind: any StepExecutor], workers: Int = 4, gracePeriod: Duration = .seconds(60),
        retryPolicy: RetryPolicy = RetryPolicy(initialDelay: .zero, maxDelay: .zero)
    ) -> Runner {
        // An hour of idle polling: in these tests only real events may wake a runner.
        let configuration = RunnerConfiguration(
            workers: workers, leaseDuration: .seconds(60), gracePeriod: gracePeriod, retryPolicy: retryPolicy,
            idlePollInterval: .seconds(3_600))
        return Runner(
            store: store, executors: StepExecutors(executors), configuration: configuration, clock: clock,
            unitRandom: { 0.5 })
    }

    func audit() async throws -> [AuditRecord] {
        try await store.audit(AuditFilter(run: run))
    }

    func state(of key: String) async throws -> StepRecord? {
        try await store.steps(run: run).first { $0.key == key }
    }
}

/// A step executor made of a closure.
struct FakeExecutor: StepExecutor {
    let body: @Sendable (ClaimedStep, StepContext) async throws -> StepExecution

    init(_ body: @escaping @Sendable (ClaimedStep, StepContext) async throws -> StepExecution) {
        self.body = body
    }

    func execute(_ step: ClaimedStep, context: StepContext) async throws -> StepExecution {
        try await body(step, context)
    }

    static let succeeding = FakeExecutor { _, _ in .succeeded(StepReport()) }
}

/// What executors saw, in order.
final class CallLog: @unchecked Sendable {
    struct Call: Equatable {
        var key: String
        var attempt: Int
        var time: Date
    }

    private let lock = NSLock()
    // Guarded by `lock`.
    private var recorded: [Call] = []

    func record(_ step: ClaimedStep, at time: Date) {
        lock.withLock { recorded.append(Call(key: step.key, attempt: step.attempts, time: time)) }
    }

    var calls: [Call] { lock.withLock { recorded } }
    var keys: [String] { calls.map(\.key) }
}

/// Opens once `count` parties have arrived; everyone after that passes at once. A waiter whose
/// task is cancelled passes too, so that a stuck test can be cancelled.
final class ArrivalGate: @unchecked Sendable {
    private let lock = NSLock()
    private let count: Int
    // Guarded by `lock`.
    private var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
    private var cancelled: Set<Int> = []
    private var arrived = 0
    private var isOpen = false

    init(opensAt count: Int) {
        self.count = count
    }

    func arrive() async {
        let id = lock.withLock {
            arrived += 1
            return arrived
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let release: [CheckedContinuation<Void, Never>] = lock.withLock {
                    if isOpen || cancelled.contains(id) { return [continuation] }
                    waiting[id] = continuation
                    guard arrived >= count else { return [] }
                    isOpen = true
                    defer { waiting = [:] }
                    return Array(waiting.values)
                }
                for waiter in release { waiter.resume() }
            }
        } onCancel: {
            let waiter = lock.withLock {
                cancelled.insert(id)
                return waiting.removeValue(forKey: id)
            }
            waiter?.resume()
        }
    }

    /// Opens the gate now, whoever has arrived.
    func open() {
        let release = lock.withLock {
            isOpen = true
            defer { waiting = [:] }
            return Array(waiting.values)
        }
        for waiter in release { waiter.resume() }
    }
}

/// A retryable failure, as a registry's 503 would be.
struct RetryableTestError: RetryClassifiable, CustomStringConvertible {
    var retryAfter: Duration?
    var isRetryable: Bool { true }
    var description: String { "registry answered 503 Service Unavailable" }
}

/// An error nobody classified.
struct UnknownTestError: Error, CustomStringConvertible {
    var description: String { "something unexpected" }
}

struct RunnerTestTimeout: Error, CustomStringConvertible {
    var description: String { "the runner did not get there within 60 seconds" }
}

/// Runs `body`, failing instead of hanging if it takes more than a minute.
func withTestDeadline<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
    try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(60))
            throw RunnerTestTimeout()
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else { throw RunnerTestTimeout() }
        return result
    }
}

/// A runner's run in the background, with its events read by one iterator.
final class BackgroundRun {
    let task: Task<RunSummary, any Error>
    private let watchdog: Task<Void, Never>
    private var iterator: AsyncStream<RunnerEvent>.Iterator
    /// Every event read so far.
    private(set) var seen: [RunnerEvent] = []

    init(_ runner: Runner, _ run: RunID, shutdown: ShutdownTrigger = ShutdownTrigger()) {
        let (events, continuation) = AsyncStream.makeStream(of: RunnerEvent.self)
        iterator = events.makeAsyncIterator()
        let task = Task { try await runner.run(run, shutdown: shutdown, events: continuation) }
        self.task = task
        // A stuck runner is cancelled after a minute, which ends its events: the test fails, not hangs.
        watchdog = Task {
            guard (try? await Task.sleep(for: .seconds(60))) != nil else { return }
            task.cancel()
        }
    }

    deinit { watchdog.cancel() }

    /// Reads events until `count` more have matched `predicate`; false if the events ended first.
    @discardableResult
    func waitFor(_ count: Int = 1, _ predicate: (RunnerEvent) -> Bool) async -> Bool {
        var matched = 0
        while matched < count {
            guard let event = await iterator.next() else { return false }
            seen.append(event)
            if predicate(event) { matched += 1 }
        }
        return true
    }

    /// Waits for the run to end, reading the remaining events.
    func finish() async throws -> RunSummary {
        while let event = await iterator.next() { seen.append(event) }
        return try await task.value
    }
}

extension RunnerEvent {
    var isStarted: Bool {
        if case .stepStarted = self { return true }
        return false
    }

    var isRetry: Bool {
        if case .retryScheduled = self { return true }
        return false
    }
}
