import Foundation
import Testing

@testable import Queue

@Suite struct FailureTests {
    @Test(arguments: [StepOutcome.dead, .failed])
    func dependantsOfAStepThatCannotSucceedFailWithTheirOwnAuditRecord(outcome: StepOutcome) async throws {
        let fixture = try await QueueFixture()
        _ = try await fixture.store.insertSteps(StepTests.chain("1.0") + StepTests.chain("2.0"), into: fixture.run)
        try await fixture.finish("load:1.0", outcome, StepReport(error: "registry unreachable"))

        let steps = try await fixture.store.steps(run: fixture.run)
        let byKey = Dictionary(uniqueKeysWithValues: steps.map { ($0.key, $0) })
        #expect(byKey["load:1.0"]?.state == outcome.state)
        #expect(byKey["mutate:1.0"]?.state == .failed)
        #expect(byKey["push:1.0"]?.state == .failed)
        let loadID = try #require(byKey["load:1.0"]?.id)
        let verb = outcome == .dead ? "is dead" : "failed"
        #expect(byKey["mutate:1.0"]?.lastError == "dependency step \(loadID) (load, job import) \(verb)")
        let mutateID = try #require(byKey["mutate:1.0"]?.id)
        #expect(byKey["push:1.0"]?.lastError == "dependency step \(mutateID) (mutate, job import) failed")

        // The other image goes on.
        #expect(byKey["load:2.0"]?.state == .pending)
        #expect(try await fixture.claimKeys() == ["load:2.0"])

        let audit = try await fixture.store.audit(AuditFilter(run: fixture.run))
        #expect(audit.map(\.stepID).count == 3)
        let push = try #require(audit.first { $0.op == "push" })
        #expect(push.outcome == .failed)
        #expect(push.attempts == 0)
        #expect(push.startedAt == nil)
        #expect(push.target == "registry.example.com/team/app:1.0")
        #expect(audit.first { $0.op == "load" }?.error == "registry unreachable")
    }

    @Test func aStepPlannedAfterItsDependencyDiedFailsAtOnce() async throws {
        let fixture = try await QueueFixture()
        _ = try await fixture.store.insertSteps([StepTests.chain("1.0")[0]], into: fixture.run)
        try await fixture.finish("load:1.0", .dead)
        _ = try await fixture.store.insertSteps(StepTests.chain("1.0"), into: fixture.run)
        #expect(try await fixture.state(of: "mutate:1.0") == .failed)
        #expect(try await fixture.state(of: "push:1.0") == .failed)
        #expect(try await fixture.store.finishRunIfDone(fixture.run) == .failed)
    }

    @Test func everyFinalStepHasExactlyOneAuditRecord() async throws {
        let fixture = try await QueueFixture()
        _ = try await fixture.store.insertSteps(StepTests.chain("1.0") + StepTests.chain("2.0"), into: fixture.run)
        try await fixture.finish("load:1.0", .succeeded)
        let mutate = try #require(
            try await fixture.store.claim(run: fixture.run, owner: "w", leaseDuration: .seconds(30), limit: 5)
                .first { $0.key == "mutate:1.0" })
        try await fixture.store.retryLater(mutate.lease, error: "timeout", at: fixture.clock.now)
        _ = try await fixture.store.release(owner: "w")
        try await fixture.finish("mutate:1.0", .succeeded)
        try await fixture.finish("push:1.0", .skipped, StepReport(digest: "sha256:aa", error: "already present"))
        try await fixture.finish("load:2.0", .failed)
        #expect(try await fixture.store.finishRunIfDone(fixture.run) == .failed)

        let steps = try await fixture.store.steps(run: fixture.run)
        let audit = try await fixture.store.audit(AuditFilter())
        #expect(steps.allSatisfy { $0.state.isFinal })
        #expect(audit.compactMap(\.stepID).sorted() == steps.map(\.id).sorted())
        #expect(audit.first { $0.stepID == mutate.id }?.attempts == 2)
        // A second completion of a finished step is refused, so it cannot write a second record.
        await #expect(throws: QueueError.self) {
            try await fixture.store.complete(mutate.lease, outcome: .succeeded, report: StepReport())
        }
        #expect(try await fixture.store.audit(AuditFilter()).count == steps.count)
    }
}
