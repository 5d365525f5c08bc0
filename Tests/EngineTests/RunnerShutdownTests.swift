import Engine
import Foundation
import Queue
import Testing

@Suite struct RunnerShutdownTests {
    /// Shutdown while two steps run: they finish and are recorded, nothing new is claimed, the
    /// rest stays pending, the run is `interrupted`; a second runner then finishes the work, and
    /// every step has exactly one audit record.
    @Test func gracefulShutdownLetsRunningStepsFinishAndASecondRunnerResumes() async throws {
        let fixture = try await RunnerFixture()
        let keys = (0..<6).map { "push:\($0)" }
        try await fixture.insert(keys)
        let log = CallLog()
        let clock = fixture.clock
        let gate = ArrivalGate(opensAt: Int.max)
        let blocking = FakeExecutor { step, _ in
            log.record(step, at: clock.now)
            await gate.arrive()
            return .succeeded(StepReport())
        }
        let shutdown = ShutdownTrigger()

        let first = BackgroundRun(fixture.runner([.noop: blocking], workers: 2), fixture.run, shutdown: shutdown)
        #expect(await first.waitFor(2) { $0.isStarted })
        shutdown.requestShutdown()
        #expect(await first.waitFor(1) { if case .shutdownRequested(.graceful) = $0 { true } else { false } })
        gate.open()
        let interrupted = try await first.finish()

        #expect(interrupted.outcome == .interrupted)
        #expect(interrupted.outcome.exitStatus == 130)
        #expect(interrupted.finishedHere == [.succeeded: 2])
        #expect(log.calls.count == 2)
        #expect(interrupted.count(.succeeded) == 2)
        #expect(interrupted.count(.pending) == 4)
        #expect(try await fixture.store.run(fixture.run)?.state == .interrupted)

        let resumed = try await withTestDeadline {
            try await fixture.runner([.noop: FakeExecutor.succeeding], workers: 2).run(fixture.run)
        }

        #expect(resumed.outcome == .finished)
        #expect(resumed.finishedHere == [.succeeded: 4])
        let audit = try await fixture.audit()
        #expect(audit.count == 6)
        #expect(Set(audit.compactMap(\.stepID)).count == 6)
        #expect(audit.allSatisfy { $0.attempts == 1 && $0.outcome == .succeeded })
        #expect(try await fixture.store.run(fixture.run)?.state == .finished)
    }

    enum HardStop: String, CaseIterable, Sendable {
        /// A second request cancels at once.
        case secondRequest
        /// The grace period ends with steps still running.
        case gracePeriodOver
        /// The runner's task is cancelled.
        case taskCancelled
    }

    /// Steps that do not finish are cancelled, released without counting the attempt, and run
    /// again by the next runner.
    @Test(arguments: HardStop.allCases)
    func stepsThatDoNotFinishAreCancelledAndReleased(stop: HardStop) async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert(["push:a", "push:b", "push:c"])
        let untilCancelled = FakeExecutor { _, _ in
            try await waitForCancellation()
            return .succeeded(StepReport())
        }
        let shutdown = ShutdownTrigger()
        let grace: Duration = stop == .gracePeriodOver ? .milliseconds(20) : .seconds(60)

        let first = BackgroundRun(
            fixture.runner([.noop: untilCancelled], workers: 2, gracePeriod: grace), fixture.run, shutdown: shutdown)
        #expect(await first.waitFor(2) { $0.isStarted })
        switch stop {
        case .secondRequest:
            shutdown.requestShutdown()
            shutdown.requestShutdown()
        case .gracePeriodOver:
            shutdown.requestShutdown()
        case .taskCancelled:
            first.task.cancel()
        }
        let interrupted = try await first.finish()

        #expect(interrupted.outcome == .interrupted)
        #expect(first.seen.filter { if case .stepInterrupted = $0 { true } else { false } }.count == 2)
        #expect(interrupted.finishedHere.isEmpty)
        let steps = try await fixture.store.steps(run: fixture.run)
        #expect(steps.allSatisfy { $0.state == .pending && $0.attempts == 0 && $0.leaseOwner == nil })
        #expect(try await fixture.audit().isEmpty)
        #expect(try await fixture.store.run(fixture.run)?.state == .interrupted)

        let resumed = try await withTestDeadline {
            try await fixture.runner([.noop: FakeExecutor.succeeding]).run(fixture.run)
        }

        #expect(resumed.outcome == .finished)
        let audit = try await fixture.audit()
        #expect(audit.count == 3)
        #expect(audit.allSatisfy { $0.attempts == 1 })
    }

    @Test func aShutdownRequestedBeforeTheRunStartsClaimsNothing() async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert(["push:a"])
        let log = CallLog()
        let clock = fixture.clock
        let executor = FakeExecutor { step, _ in
            log.record(step, at: clock.now)
            return .succeeded(StepReport())
        }
        let shutdown = ShutdownTrigger()
        shutdown.requestShutdown()

        let summary = try await withTestDeadline {
            try await fixture.runner([.noop: executor]).run(fixture.run, shutdown: shutdown)
        }

        #expect(summary.outcome == .interrupted)
        #expect(log.calls.isEmpty)
    }

    @Test func executorsSeeTheShutdown() async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert(["push:a"])
        let shutdown = ShutdownTrigger()
        let sawShutdown = FakeExecutor { _, context in
            shutdown.requestShutdown()
            return .succeeded(StepReport(result: Data(context.isShuttingDown ? "true".utf8 : "false".utf8)))
        }

        let summary = try await withTestDeadline {
            try await fixture.runner([.noop: sawShutdown]).run(fixture.run, shutdown: shutdown)
        }

        // The only step finished during the grace period, so the run is done, not interrupted.
        #expect(summary.outcome == .finished)
        #expect(try await fixture.state(of: "push:a")?.result == Data("true".utf8))
    }

    @Test func unixSignalsArriveAsASequence() async throws {
        let signals = UnixSignals([SIGUSR1])
        kill(getpid(), SIGUSR1)
        var received: Int32?
        for await number in signals {
            received = number
            break
        }
        #expect(received == SIGUSR1)
    }

    @Test func aSignalShutsTheRunnerDownGracefully() async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert(["push:a", "push:b"])
        let gate = ArrivalGate(opensAt: Int.max)
        let blocking = FakeExecutor { _, _ in
            await gate.arrive()
            return .succeeded(StepReport())
        }
        let runner = fixture.runner([.noop: blocking], workers: 1)
        let (events, continuation) = AsyncStream.makeStream(of: RunnerEvent.self)
        let task = Task { try await runner.runHandlingSignals(fixture.run, signals: [SIGUSR2], events: continuation) }

        var iterator = events.makeAsyncIterator()
        while let event = await iterator.next(), !event.isStarted {}
        kill(getpid(), SIGUSR2)
        while let event = await iterator.next() {
            if case .shutdownRequested = event { break }
        }
        gate.open()
        let summary = try await task.value

        #expect(summary.outcome == .interrupted)
        #expect(summary.count(.succeeded) == 1)
        #expect(summary.count(.pending) == 1)
    }
}

/// Suspends until the task is cancelled, then throws `CancellationError`.
func waitForCancellation() async throws {
    let (stream, continuation) = AsyncStream.makeStream(of: Never.self)
    try await withTaskCancellationHandler {
        for await _ in stream {}
        throw CancellationError()
    } onCancel: {
        continuation.finish()
    }
}
