import Engine
import Foundation
import Queue
import Testing

@Suite struct RunnerRetryTests {
    @Test func retriesARetryableFailureUntilItSucceeds() async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert(["push:a"])
        let log = CallLog()
        let clock = fixture.clock
        let executor = FakeExecutor { step, _ in
            log.record(step, at: clock.now)
            if step.attempts == 1 { throw RetryableTestError() }
            return .succeeded(StepReport())
        }

        let background = BackgroundRun(fixture.runner([.noop: executor]), fixture.run)
        let summary = try await background.finish()

        #expect(summary.outcome == .finished)
        #expect(summary.retriesScheduled == 1)
        #expect(log.calls.map(\.attempt) == [1, 2])
        #expect(background.seen.filter(\.isRetry).count == 1)
        let audit = try await fixture.audit()
        #expect(audit.count == 1)
        #expect(audit.first?.attempts == 2)
        #expect(audit.first?.outcome == .succeeded)
    }

    /// A step that keeps failing dies; what depends on it fails; the rest of the run goes on.
    @Test func aStepOutOfAttemptsIsDeadAndOnlyItsDependantsFail() async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert(["push:broken"], maxAttempts: 3)
        try await fixture.insert(["delete:after-broken"], dependsOn: ["push:broken"])
        try await fixture.insert(["push:fine", "push:also-fine"])
        let log = CallLog()
        let clock = fixture.clock
        let executor = FakeExecutor { step, _ in
            log.record(step, at: clock.now)
            if step.key == "push:broken" { throw RetryableTestError() }
            return .succeeded(StepReport())
        }

        let summary = try await withTestDeadline {
            try await fixture.runner([.noop: executor], workers: 2).run(fixture.run)
        }

        #expect(summary.outcome == .failed)
        #expect(summary.outcome.exitStatus == 1)
        #expect(log.calls.filter { $0.key == "push:broken" }.map(\.attempt) == [1, 2, 3])
        #expect(!log.keys.contains("delete:after-broken"))
        let byKey = Dictionary(uniqueKeysWithValues: summary.failedSteps.map { ($0.key, $0) })
        #expect(byKey["push:broken"]?.outcome == .dead)
        #expect(byKey["push:broken"]?.error?.contains("gave up after 3 attempts: registry answered 503") == true)
        #expect(byKey["delete:after-broken"]?.outcome == .failed)
        #expect(byKey["delete:after-broken"]?.error?.contains("is dead") == true)
        let audit = try await fixture.audit()
        #expect(audit.count == 4)
        #expect(audit.first { $0.outcome == .dead }?.attempts == 3)
        #expect(audit.filter { $0.outcome == .succeeded }.count == 2)
        #expect(try await fixture.store.run(fixture.run)?.state == .failed)
    }

    enum PermanentFailure: String, CaseIterable, Sendable {
        case refusal, unknownError, nonRetryableClassified

        var error: any Error {
            switch self {
            case .refusal: StepRefusal("tag registry.example.com/app:1.0 moved since planning; not deleting it")
            case .unknownError: UnknownTestError()
            case .nonRetryableClassified: NotRetryableTestError()
            }
        }

        var message: String {
            switch self {
            case .refusal: "moved since planning"
            case .unknownError: "something unexpected"
            case .nonRetryableClassified: "401 Unauthorized"
            }
        }
    }

    @Test(arguments: PermanentFailure.allCases)
    func aNonRetryableErrorFailsTheStepAtOnce(failure: PermanentFailure) async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert(["delete:a"])
        let log = CallLog()
        let clock = fixture.clock
        let executor = FakeExecutor { step, _ in
            log.record(step, at: clock.now)
            throw failure.error
        }

        let summary = try await withTestDeadline { try await fixture.runner([.noop: executor]).run(fixture.run) }

        #expect(summary.outcome == .failed)
        #expect(summary.retriesScheduled == 0)
        #expect(log.calls.count == 1)
        let audit = try await fixture.audit()
        #expect(audit.count == 1)
        #expect(audit.first?.outcome == .failed)
        #expect(audit.first?.attempts == 1)
        #expect(audit.first?.error?.contains(failure.message) == true)
    }

    /// The server asks for 30 s; the backoff alone would retry at once. The retry is scheduled 30 s
    /// out, and it runs only when the (manual) clock gets there.
    @Test func honoursRetryAfter() async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert(["push:a"])
        let log = CallLog()
        let clock = fixture.clock
        let start = clock.now
        let executor = FakeExecutor { step, _ in
            log.record(step, at: clock.now)
            if step.attempts == 1 { throw RetryableTestError(retryAfter: .seconds(30)) }
            return .succeeded(StepReport())
        }

        let background = BackgroundRun(fixture.runner([.noop: executor]), fixture.run)
        #expect(await background.waitFor(1) { $0.isRetry })
        let scheduled = background.seen.compactMap { event -> Date? in
            guard case .retryScheduled(_, let at, _) = event else { return nil }
            return at
        }
        #expect(scheduled == [start.addingTimeInterval(30)])
        let pending = try await fixture.state(of: "push:a")
        #expect(pending?.state == .pending)
        #expect(pending?.nextAttemptAt == start.addingTimeInterval(30))
        // The runner sleeps until the retry is due, and not sooner.
        await fixture.clock.waitForSleeper(after: start.addingTimeInterval(29))
        #expect(log.calls.count == 1)
        fixture.clock.advance(by: 31)
        let summary = try await background.finish()

        #expect(summary.outcome == .finished)
        #expect(log.calls.map(\.attempt) == [1, 2])
        #expect(log.calls.last.map { $0.time >= start.addingTimeInterval(30) } == true)
        #expect(try await fixture.audit().first?.attempts == 2)
    }

    @Test func backoffDelaysTheRetryByThePolicy() async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert(["push:a"])
        let start = fixture.clock.now
        let executor = FakeExecutor { step, _ in
            if step.attempts == 1 { throw RetryableTestError() }
            return .succeeded(StepReport())
        }
        let policy = RetryPolicy(initialDelay: .seconds(4), maxDelay: .seconds(60), jitter: .equal)

        let background = BackgroundRun(fixture.runner([.noop: executor], retryPolicy: policy), fixture.run)
        #expect(await background.waitFor(1) { $0.isRetry })
        // unitRandom is 0.5 in the fixture: 2 s + 0.5 × 2 s.
        #expect(try await fixture.state(of: "push:a")?.nextAttemptAt == start.addingTimeInterval(3))
        fixture.clock.advance(by: 4)
        let summary = try await background.finish()

        #expect(summary.outcome == .finished)
    }
}

/// A failure that says it is permanent, as a registry's 401 would be.
struct NotRetryableTestError: RetryClassifiable, CustomStringConvertible {
    var isRetryable: Bool { false }
    var description: String { "registry answered 401 Unauthorized" }
}
