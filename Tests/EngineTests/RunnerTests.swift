import Engine
import Foundation
import Queue
import Testing

@Suite struct RunnerTests {
    @Test(arguments: [1, 4, 16])
    func runsEveryStepOnce(workers: Int) async throws {
        let fixture = try await RunnerFixture()
        let keys = (0..<40).map { "noop:\($0)" }
        try await fixture.insert(keys)
        let log = CallLog()
        let clock = fixture.clock
        let executor = FakeExecutor { step, _ in
            log.record(step, at: clock.now)
            return .succeeded(StepReport(digest: "sha256:\(step.key)"))
        }

        let summary = try await withTestDeadline {
            try await fixture.runner([.noop: executor], workers: workers).run(fixture.run)
        }

        #expect(log.keys.sorted() == keys.sorted())
        #expect(summary.outcome == .finished)
        #expect(summary.count(.succeeded) == 40)
        #expect(summary.finishedHere == [.succeeded: 40])
        #expect(summary.failedSteps.isEmpty)
        let audit = try await fixture.audit()
        #expect(audit.count == 40)
        #expect(Set(audit.compactMap(\.stepID)).count == 40)
        #expect(
            audit.allSatisfy { $0.outcome == .succeeded && $0.attempts == 1 && $0.digest?.hasPrefix("sha256:") == true }
        )
        #expect(try await fixture.store.run(fixture.run)?.state == .finished)
    }

    /// Every executor waits until `workers` of them are running at once: the run can only end if
    /// the runner really keeps that many in flight.
    @Test func keepsWorkersStepsInFlight() async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert((0..<12).map { "noop:\($0)" })
        let gate = ArrivalGate(opensAt: 4)
        let probe = ConcurrencyProbe()
        let executor = FakeExecutor { _, _ in
            probe.enter()
            await gate.arrive()
            probe.leave()
            return .succeeded(StepReport())
        }

        let summary = try await withTestDeadline {
            try await fixture.runner([.noop: executor], workers: 4).run(fixture.run)
        }

        #expect(summary.outcome == .finished)
        #expect(summary.count(.succeeded) == 12)
        #expect(probe.maximum == 4)
    }

    @Test func runsFollowUpStepsThatADiscoveryStepInserts() async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert(["discover:repo"], kind: .discover)
        let log = CallLog()
        let clock = fixture.clock
        let discover = FakeExecutor { step, context in
            log.record(step, at: clock.now)
            let tags = (1...5).map { "push:repo:v\($0)" }
            var found = tags.map { NewStep(key: $0, jobID: "job", kind: .noop, dependsOn: ["discover:repo"]) }
            found.append(NewStep(key: "report:repo", jobID: "job", kind: .noop, dependsOn: tags))
            try await context.insertSteps(found)
            return .succeeded(StepReport())
        }
        let noop = FakeExecutor { step, _ in
            log.record(step, at: clock.now)
            return .succeeded(StepReport())
        }

        let summary = try await withTestDeadline {
            try await fixture.runner([.discover: discover, .noop: noop], workers: 3).run(fixture.run)
        }

        #expect(summary.outcome == .finished)
        #expect(log.keys.count == 7)
        #expect(log.keys.first == "discover:repo")
        #expect(log.keys.last == "report:repo")
        #expect(Set(log.keys).count == 7)
        #expect(try await fixture.audit().count == 7)
    }

    @Test func aStepKindWithoutExecutorFails() async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert(["push:a"], kind: .push)

        let summary = try await withTestDeadline { try await fixture.runner([:]).run(fixture.run) }

        #expect(summary.outcome == .failed)
        #expect(summary.failedSteps.map(\.key) == ["push:a"])
        #expect(summary.failedSteps.first?.error?.contains("no executor for push steps") == true)
    }

    /// A process that died holding leases: once they expire, a new runner takes the work over.
    @Test func reclaimsStepsOfACrashedRunnerWhenTheirLeasesExpire() async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert(["noop:a", "noop:b", "noop:c"])
        let abandoned = try await fixture.store.claim(
            run: fixture.run, owner: "crashed-host:999:dead", leaseDuration: .seconds(60), limit: 10)
        #expect(abandoned.count == 3)
        let expiry = try #require(abandoned.map(\.leaseExpiresAt).max())
        let log = CallLog()
        let clock = fixture.clock
        let executor = FakeExecutor { step, _ in
            log.record(step, at: clock.now)
            return .succeeded(StepReport())
        }

        let background = BackgroundRun(fixture.runner([.noop: executor]), fixture.run)
        // The runner finds nothing claimable and sleeps until the leases expire.
        await fixture.clock.waitForSleeper(after: expiry.addingTimeInterval(-0.001))
        #expect(log.calls.isEmpty)
        fixture.clock.advance(by: 61)
        let summary = try await background.finish()

        #expect(summary.outcome == .finished)
        #expect(log.keys.sorted() == ["noop:a", "noop:b", "noop:c"])
        #expect(log.calls.allSatisfy { $0.time >= expiry })
        let audit = try await fixture.audit()
        #expect(audit.count == 3)
        #expect(audit.allSatisfy { $0.outcome == .succeeded })
    }

    @Test func reportsProgressEventsAndBytesMoved() async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert(["noop:a", "noop:b"])
        let executor = FakeExecutor { _, context in
            context.addBytesMoved(1_000)
            return .succeeded(StepReport(size: 1_000))
        }

        let background = BackgroundRun(fixture.runner([.noop: executor]), fixture.run)
        let summary = try await background.finish()

        #expect(summary.bytesMoved == 2_000)
        let started = background.seen.filter(\.isStarted).count
        let finished = background.seen.compactMap { event -> String? in
            guard case .stepFinished(let info, .succeeded, _) = event else { return nil }
            return info.key
        }
        #expect(started == 2)
        #expect(finished.sorted() == ["noop:a", "noop:b"])
    }

    @Test func noopExecutorSucceeds() async throws {
        let fixture = try await RunnerFixture()
        try await fixture.insert((0..<5).map { "noop:\($0)" })

        let summary = try await withTestDeadline {
            try await fixture.runner([.noop: NoopExecutor()]).run(fixture.run)
        }

        #expect(summary.outcome == .finished)
        #expect(summary.count(.succeeded) == 5)
    }

    @Test func benchmarkRunsEveryStepAndMeasuresClaims() async throws {
        let result = try await withTestDeadline { try await QueueBenchmark.run(steps: 300, workers: 8) }

        #expect(result.steps == 300)
        #expect(result.stepsPerSecond > 0)
        #expect(result.claimLatency.count > 0)
        #expect(result.claimLatency.p50 <= result.claimLatency.p90)
        #expect(result.claimLatency.p90 <= result.claimLatency.p99)
        #expect(result.claimLatency.p99 <= result.claimLatency.max)
    }
}

/// Counts executions running at once and remembers the most.
final class ConcurrencyProbe: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var current = 0
    private var highest = 0

    func enter() {
        lock.withLock {
            current += 1
            highest = max(highest, current)
        }
    }

    func leave() {
        lock.withLock { current -= 1 }
    }

    var maximum: Int { lock.withLock { highest } }
}
