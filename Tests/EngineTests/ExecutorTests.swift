import Foundation
import ImageTransports
import OCI
import Queue
import Registry
import TestSupport
import Testing

@testable import Engine

/// Executors against the plain test registry, and how their errors are classed.
@Suite struct ExecutorTests {
    @Test(arguments: [
        (TransportError(.invalidInput, "bad layout") as any Error, StepFailureClass.permanent),
        (TransportError(.failed, "disk full"), .retryable(retryAfter: nil)),
        (RegistryError(.unavailable, status: 503, retryAfter: .seconds(3)), .retryable(retryAfter: .seconds(3))),
        (RegistryError(.digestMismatch, message: "bytes do not match"), .retryable(retryAfter: nil)),
        (RegistryError(.notFound, status: 404), .permanent),
        (OCIError(.invalidManifest, "not a manifest"), .permanent),
        (StepRefusal("tag moved"), .permanent),
    ])
    /// A registry's bytes that do not match are retried as a step (corruption in transit); every
    /// attempt verifies again.
    func errorsAreRetriedOnlyWhenTheyMayPass(error: any Error, expected: StepFailureClass) {
        #expect(StepFailureClassifier.engine.classify(error) == expected)
    }

    /// Pushes `image` to `reference` with skopeo, from a layout in `scratch`.
    static func push(_ image: OCITestImage, to reference: String, scratch: LayoutScratchDirectory) async throws {
        let layout = scratch.join("layout-\(image.rootDigest.encoded.prefix(12))")
        try LayoutFixtures.writeLayout([.init(image, refName: "x")], to: layout)
        _ = try await TestProcess.runChecked(
            try TestProcess.locate("skopeo"),
            ["copy", "--dest-tls-verify=false", "oci:\(layout):x", "docker://\(reference)"])
    }

    /// Runs `delete` steps through `hook` first: what someone else does between planning and deleting.
    struct HookedExecutor: StepExecutor {
        let wrapped: any StepExecutor
        let hook: @Sendable () async throws -> Void

        func execute(_ step: ClaimedStep, context: StepContext) async throws -> StepExecution {
            try await hook()
            return try await wrapped.execute(step, context: context)
        }
    }

    static func deletePlan(_ image: String, registry: String) throws -> Plan {
        let text = """
            {"version": 1, "name": "delete-\(UUID())", "defaults": {"insecureRegistries": ["\(registry)"]},
             "jobs": [{"id": "retire", "delete": {"images": ["\(image)"]}}]}
            """
        return try PlanLoader.load(
            data: Data(text.utf8), source: "test", validator: PlanValidator(baseDirectory: "/"))
    }

    /// Plans `plan` into a fresh database and runs it, with `delete` steps behind `hook`.
    static func run(
        _ plan: Plan, directory: RunnerTemporaryDirectory,
        beforeDelete hook: @escaping @Sendable () async throws -> Void
    ) async throws -> (SQLiteQueueStore, RunSummary) {
        let store = try SQLiteQueueStore(path: directory.path + "/queue.db")
        let session = RegistrySession(configuration: try RegistryConfiguration.forPlan(plan))
        defer { session.http.shutdown() }
        let execution = PlanExecution(plan: plan, store: store, session: session)
        let start = try await execution.start(planJSON: Data("{}".utf8))
        var executors = execution.executors()
        executors[.delete] = HookedExecutor(wrapped: try #require(executors[.delete]), hook: hook)
        let runner = Runner(store: store, executors: executors, configuration: RunnerConfiguration(workers: 2))
        return (store, try await runner.run(start.run.id))
    }

    @Test func deleteRefusesWhenTheTagMovedSincePlanning() async throws {
        let registry = try TestServices.plainRegistry
        let scratch = try LayoutScratchDirectory()
        let reference = "\(registry)/executor/moved-\(UUID().uuidString.prefix(8).lowercased()):v1"
        let planned = try OCITestImages.image(seed: 7_001)
        let newer = try OCITestImages.image(seed: 7_002)
        try await Self.push(planned, to: reference, scratch: scratch)
        // skopeo may rewrite what it pushes: compare with what the registry holds.
        let plannedDigest = try #require(try await Self.digest(reference))

        let (store, summary) = try await Self.run(
            try Self.deletePlan(reference, registry: registry), directory: try RunnerTemporaryDirectory()
        ) {
            try await Self.push(newer, to: reference, scratch: scratch)
        }
        let newerDigest = try #require(try await Self.digest(reference), "the newer image must survive")
        #expect(newerDigest != plannedDigest)

        #expect(summary.outcome == .failed)
        let steps = try await store.steps(run: summary.runID)
        let load = try #require(steps.first { $0.kind == .load })
        #expect(load.digest == plannedDigest.description)
        let delete = try #require(steps.first { $0.kind == .delete })
        #expect(delete.state == .failed)
        #expect(delete.attempts == 1, "a refusal is not retried")
        let expected = "tag v1 of \(registry)/executor/"
        #expect(delete.lastError?.contains(expected) == true, "\(delete.lastError ?? "")")
        #expect(
            delete.lastError?.contains("moved from \(plannedDigest) to \(newerDigest) since planning; not deleted")
                == true)
        let audit = try await store.audit(AuditFilter(run: summary.runID, op: .delete))
        #expect(audit.map(\.outcome) == [.failed])
    }

    @Test func deleteOfAnImageGoneSincePlanningIsSkipped() async throws {
        let registry = try TestServices.plainRegistry
        let scratch = try LayoutScratchDirectory()
        let reference = "\(registry)/executor/gone-\(UUID().uuidString.prefix(8).lowercased()):v1"
        let image = try OCITestImages.image(seed: 7_003)
        try await Self.push(image, to: reference, scratch: scratch)

        let (store, summary) = try await Self.run(
            try Self.deletePlan(reference, registry: registry), directory: try RunnerTemporaryDirectory()
        ) {
            _ = try await TestProcess.runChecked(
                try TestProcess.locate("skopeo"), ["delete", "--tls-verify=false", "docker://\(reference)"])
        }

        #expect(summary.outcome == .finished)
        let delete = try #require(try await store.steps(run: summary.runID).first { $0.kind == .delete })
        #expect(delete.state == .skipped)
        #expect(try await Self.digest(reference) == nil)
    }

    static func digest(_ reference: String) async throws -> Digest? {
        let output = try await TestProcess.run(
            try TestProcess.locate("skopeo"), ["inspect", "--raw", "--tls-verify=false", "docker://" + reference])
        return output.status == 0 ? Digest.sha256(output.stdout) : nil
    }
}
