import Foundation
import Testing

@testable import Queue

@Suite struct RunTests {
    @Test func runningTheSamePlanAgainResumesItsUnfinishedRun() async throws {
        let fixture = try await QueueFixture()
        let again = try await fixture.store.startRun(.sample(), forceNew: false)
        #expect(again.resumed)
        #expect(again.run.id == fixture.run)

        try await fixture.store.markRun(fixture.run, as: .interrupted)
        #expect(try await fixture.store.unfinishedRun(planHash: nil)?.state == .interrupted)
        let resumed = try await fixture.store.startRun(.sample(), forceNew: false)
        #expect(resumed.run.id == fixture.run)
        #expect(try await fixture.store.run(fixture.run)?.state == .running)

        let fresh = try await fixture.store.startRun(.sample(), forceNew: true)
        #expect(!fresh.resumed)
        #expect(fresh.run.id != fixture.run)
        #expect(try await fixture.store.unfinishedRun(planHash: "hash-1")?.id == fresh.run.id)
    }

    @Test func aFinishedRunIsNotResumed() async throws {
        let fixture = try await QueueFixture()
        _ = try await fixture.store.insertSteps([NewStep(key: "n", jobID: "j", kind: .noop)], into: fixture.run)
        #expect(try await fixture.store.finishRunIfDone(fixture.run) == nil)
        try await fixture.finish("n", .succeeded)
        fixture.clock.advance(by: 10)
        #expect(try await fixture.store.finishRunIfDone(fixture.run) == .finished)
        let record = try #require(try await fixture.store.run(fixture.run))
        #expect(record.finishedAt == fixture.clock.now)
        #expect(record.planName == "nightly")
        #expect(record.planJSON == NewRun.sample().planJSON)
        #expect(try await fixture.store.unfinishedRun(planHash: "hash-1") == nil)
        #expect(try await fixture.store.startRun(.sample(), forceNew: false).resumed == false)
        #expect(try await fixture.store.runs().map(\.state) == [.finished, .running])
    }

    @Test func markingAMissingRunFails() async throws {
        let fixture = try await QueueFixture()
        let error = await #expect(throws: QueueError.self) {
            try await fixture.store.markRun(RunID(rawValue: 999), as: .finished)
        }
        #expect(error?.code == .notFound)
    }

    @Test func progressCountsStepsByJobAndState() async throws {
        let fixture = try await QueueFixture()
        _ = try await fixture.store.insertSteps(
            StepTests.chain("1.0", job: "import") + StepTests.chain("2.0", job: "migrate"), into: fixture.run)
        try await fixture.finish("load:1.0", .succeeded)
        _ = try await fixture.claimKeys(owner: "w", limit: 1)  // mutate:1.0 (due first) is now running
        let progress = try await fixture.store.progress(run: fixture.run)
        #expect(progress.jobs.map(\.jobID) == ["import", "migrate"])
        #expect(progress.jobs[0].counts == [.succeeded: 1, .running: 1, .pending: 1])
        #expect(progress.jobs[1].counts == [.pending: 3])
        #expect(progress.total == 6)
        #expect(!progress.isDone)
    }
}
