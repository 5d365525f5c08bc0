import Foundation
import Testing

@testable import Queue

@Suite struct ConcurrencyTests {
    /// Two stores are two connections, as two processes would have. Eight claimers race over
    /// 2,000 steps; every step must be claimed exactly once and audited exactly once.
    @Test func claimersOnTwoConnectionsNeverTakeTheSameStep() async throws {
        let fixture = try await QueueFixture()
        let steps = (0..<2_000).map { NewStep(key: "noop:\($0)", jobID: "job-\($0 % 7)", kind: .noop) }
        _ = try await fixture.store.insertSteps(steps, into: fixture.run)
        let stores = [fixture.store, try fixture.secondStore()]
        let run = fixture.run

        let claims = try await withThrowingTaskGroup(of: [StepID].self) { group in
            for claimer in 0..<8 {
                let store = stores[claimer % stores.count]
                group.addTask {
                    var mine: [StepID] = []
                    while true {
                        let batch = try await store.claim(
                            run: run, owner: "claimer-\(claimer)", leaseDuration: .seconds(600), limit: 1 + claimer % 4)
                        if batch.isEmpty { return mine }
                        for step in batch {
                            mine.append(step.id)
                            try await store.complete(step.lease, outcome: .succeeded, report: StepReport())
                        }
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }

        let all = claims.flatMap { $0 }
        #expect(all.count == 2_000)
        #expect(Set(all).count == 2_000)
        #expect(claims.filter { !$0.isEmpty }.count > 1)  // the work really was shared
        let audit = try await fixture.store.audit(AuditFilter(run: run))
        #expect(audit.count == 2_000)
        #expect(Set(audit.compactMap(\.stepID)) == Set(all))
        let progress = try await stores[1].progress(run: run)
        #expect(progress.count(.succeeded) == 2_000)
        #expect(progress.jobs.count == 7)
    }

    @Test func twoProcessesStartingOnePlanShareOneRun() async throws {
        let fixture = try await QueueFixture()
        let second = try fixture.secondStore()
        async let a = fixture.store.startRun(.sample(hash: "shared"), forceNew: false)
        async let b = second.startRun(.sample(hash: "shared"), forceNew: false)
        let (first, other) = try await (a, b)
        #expect(first.run.id == other.run.id)
        #expect([first.resumed, other.resumed].sorted { !$0 && $1 } == [false, true])
    }
}
