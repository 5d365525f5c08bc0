import Foundation
import Testing

@testable import Queue

@Suite struct StepTests {
    /// load → mutate → push for one image, as the planner makes them.
    static func chain(_ image: String, job: String = "import") -> [NewStep] {
        [
            NewStep(key: "load:\(image)", jobID: job, kind: .load, source: "oci:./build:\(image)"),
            NewStep(key: "mutate:\(image)", jobID: job, kind: .mutate, dependsOn: ["load:\(image)"]),
            NewStep(
                key: "push:\(image)", jobID: job, kind: .push, dependsOn: ["mutate:\(image)"],
                target: "registry.example.com/team/app:\(image)"),
        ]
    }

    @Test func insertingTheSameStepsTwiceAddsNothing() async throws {
        let fixture = try await QueueFixture()
        let first = try await fixture.store.insertSteps(Self.chain("1.0"), into: fixture.run)
        let second = try await fixture.store.insertSteps(Self.chain("1.0") + Self.chain("2.0"), into: fixture.run)
        #expect(first.count == 3)
        #expect(second.count == 6)
        for (key, id) in first { #expect(second[key] == id) }
        let steps = try await fixture.store.steps(run: fixture.run)
        #expect(steps.count == 6)
        let push = try #require(steps.first { $0.key == "push:1.0" })
        #expect(push.dependsOn == [try #require(first["mutate:1.0"])])
    }

    @Test func sameKeyInAnotherRunIsAnotherStep() async throws {
        let fixture = try await QueueFixture()
        let other = try await fixture.store.startRun(.sample(hash: "other"), forceNew: false).run.id
        let first = try await fixture.store.insertSteps(Self.chain("1.0"), into: fixture.run)
        let second = try await fixture.store.insertSteps(Self.chain("1.0"), into: other)
        #expect(Set(first.values).isDisjoint(with: Set(second.values)))
    }

    @Test func refusesAnUnknownDependency() async throws {
        let fixture = try await QueueFixture()
        let orphan = NewStep(key: "push:x", jobID: "import", kind: .push, dependsOn: ["mutate:x"])
        let error = await #expect(throws: QueueError.self) {
            try await fixture.store.insertSteps([orphan], into: fixture.run)
        }
        #expect(error?.code == .unknownDependency)
        #expect(error?.description.contains("mutate:x") == true)
        #expect(try await fixture.store.steps(run: fixture.run).isEmpty)  // the batch was rolled back
    }

    @Test func stepsRunOnlyAfterTheirDependencies() async throws {
        let fixture = try await QueueFixture()
        _ = try await fixture.store.insertSteps(Self.chain("1.0"), into: fixture.run)
        #expect(try await fixture.claimKeys(owner: "a") == ["load:1.0"])
        #expect(try await fixture.claimKeys(owner: "b").isEmpty)
        _ = try await fixture.store.release(owner: "a")

        try await fixture.finish("load:1.0", .succeeded)
        try await fixture.finish("mutate:1.0", .skipped)  // skipped counts as done for dependants
        #expect(try await fixture.claimKeys() == ["push:1.0"])
    }

    @Test func claimCountsAttemptsAndLeasesTheStep() async throws {
        let fixture = try await QueueFixture()
        _ = try await fixture.store.insertSteps(Self.chain("1.0"), into: fixture.run)
        let claimed = try await fixture.store.claim(
            run: fixture.run, owner: "worker-1", leaseDuration: .seconds(30), limit: 10)
        let step = try #require(claimed.first)
        #expect(step.attempts == 1)
        #expect(step.leaseExpiresAt == fixture.clock.now.addingTimeInterval(30))
        let stored = try #require(try await fixture.store.step(step.id))
        #expect(stored.state == .running)
        #expect(stored.leaseOwner == "worker-1")
        #expect(stored.startedAt == fixture.clock.now)
    }

    @Test func anExpiredLeaseIsClaimedAgainAndTheOldOwnerIsRefused() async throws {
        let fixture = try await QueueFixture()
        _ = try await fixture.store.insertSteps(Self.chain("1.0"), into: fixture.run)
        let crashed = try #require(
            try await fixture.store.claim(run: fixture.run, owner: "crashed", leaseDuration: .seconds(30), limit: 1)
                .first)
        fixture.clock.advance(by: 29)
        #expect(try await fixture.claimKeys(owner: "other").isEmpty)

        fixture.clock.advance(by: 1)
        let second = try await fixture.secondStore()
        let reclaimed = try await second.claim(run: fixture.run, owner: "other", leaseDuration: .seconds(30), limit: 5)
        #expect(reclaimed.map(\.id) == [crashed.id])
        #expect(reclaimed.first?.attempts == 1)  // the crashed attempt never ended: it is the same attempt

        let error = await #expect(throws: QueueError.self) {
            try await fixture.store.complete(crashed.lease, outcome: .succeeded, report: StepReport())
        }
        #expect(error?.code == .leaseLost)
        #expect(error?.description.contains("other") == true)
        await #expect(throws: QueueError.self) {
            try await fixture.store.renewLease(crashed.lease, duration: .seconds(30))
        }
        await #expect(throws: QueueError.self) {
            try await fixture.store.retryLater(crashed.lease, error: "x", at: fixture.clock.now)
        }
        try await second.complete(try #require(reclaimed.first).lease, outcome: .succeeded, report: StepReport())
        #expect(try await fixture.state(of: "load:1.0") == .succeeded)
    }

    @Test func renewingALeaseKeepsOthersAway() async throws {
        let fixture = try await QueueFixture()
        _ = try await fixture.store.insertSteps(Self.chain("1.0"), into: fixture.run)
        let step = try #require(
            try await fixture.store.claim(run: fixture.run, owner: "a", leaseDuration: .seconds(30), limit: 1).first)
        fixture.clock.advance(by: 20)
        try await fixture.store.renewLease(step.lease, duration: .seconds(30))
        fixture.clock.advance(by: 20)
        #expect(try await fixture.claimKeys(owner: "b").isEmpty)
        #expect(try await fixture.store.renewLeases(owner: "a", duration: .seconds(30)) == 1)
        fixture.clock.advance(by: 29)
        #expect(try await fixture.claimKeys(owner: "b").isEmpty)
        fixture.clock.advance(by: 1)
        #expect(try await fixture.claimKeys(owner: "b") == ["load:1.0"])
    }

    @Test func aRetryWaitsUntilItIsDue() async throws {
        let fixture = try await QueueFixture()
        _ = try await fixture.store.insertSteps(Self.chain("1.0"), into: fixture.run)
        let step = try #require(
            try await fixture.store.claim(run: fixture.run, owner: "a", leaseDuration: .seconds(30), limit: 1).first)
        let due = fixture.clock.now.addingTimeInterval(5)
        try await fixture.store.retryLater(step.lease, error: "503 Service Unavailable", at: due)
        #expect(try await fixture.store.nextClaimableAt(run: fixture.run) == due)
        fixture.clock.advance(by: 4.999)
        #expect(try await fixture.claimKeys().isEmpty)
        fixture.clock.advance(by: 0.001)
        let again = try #require(
            try await fixture.store.claim(run: fixture.run, owner: "a", leaseDuration: .seconds(30), limit: 1).first)
        #expect(again.attempts == 2)
        #expect(again.lastError == "503 Service Unavailable")
        #expect(again.hasAttemptsLeft)
    }

    @Test func releaseReturnsStepsWithoutCountingTheAttempt() async throws {
        let fixture = try await QueueFixture()
        _ = try await fixture.store.insertSteps(Self.chain("1.0") + Self.chain("2.0"), into: fixture.run)
        _ = try await fixture.claimKeys(owner: "stopping")
        _ = try await fixture.claimKeys(owner: "staying")  // nothing left for it
        #expect(try await fixture.store.release(owner: "stopping") == 2)
        let loads = try await fixture.store.steps(run: fixture.run).filter { $0.kind == .load }
        #expect(loads.map(\.state) == [.pending, .pending])
        #expect(loads.map(\.attempts) == [0, 0])
        #expect(loads.allSatisfy { $0.leaseOwner == nil && $0.leaseExpiresAt == nil && $0.startedAt == nil })
        #expect(try await fixture.claimKeys(owner: "next").sorted() == ["load:1.0", "load:2.0"])
    }

    @Test func claimHonoursTheLimitAndTheRun() async throws {
        let fixture = try await QueueFixture()
        let other = try await fixture.store.startRun(.sample(hash: "other"), forceNew: false).run.id
        let steps = (0..<10).map { NewStep(key: "noop:\($0)", jobID: "j", kind: .noop) }
        _ = try await fixture.store.insertSteps(steps, into: fixture.run)
        _ = try await fixture.store.insertSteps(steps, into: other)
        #expect(try await fixture.claimKeys(limit: 4).count == 4)
        #expect(try await fixture.claimKeys(limit: 100).count == 6)
        let anyRun = try await fixture.store.claim(run: nil, owner: "w", leaseDuration: .seconds(60), limit: 100)
        #expect(anyRun.count == 10)
        #expect(anyRun.allSatisfy { $0.runID == other })
    }
}
