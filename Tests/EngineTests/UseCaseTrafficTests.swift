import Foundation
import ImageTransports
import OCI
import Queue
import Registry
import TestSupport
import Testing

@testable import Engine

/// What relabeling, re-running a migration and copying referrers cost in requests and bytes, measured
/// with the HTTP engine's counters against the plain registries (one worker, so counts are exact).
@Suite struct UseCaseTrafficTests {
    struct Measured {
        let store: SQLiteQueueStore
        let summary: RunSummary
        let requests: Int
        let bytesSent: Int64
    }

    static func plan(_ jobs: String, registries: [String]) throws -> Plan {
        let insecure = registries.map { "\"\($0)\"" }.joined(separator: ", ")
        let text = """
            {"version": 1, "name": "traffic-\(UUID())", "defaults": {"insecureRegistries": [\(insecure)]},
             "jobs": [\(jobs)]}
            """
        return try PlanLoader.load(data: Data(text.utf8), source: "test", validator: PlanValidator(baseDirectory: "/"))
    }

    /// Runs `plan` as a new run in `directory`'s database with one worker and a fresh session.
    static func run(_ plan: Plan, directory: RunnerTemporaryDirectory) async throws -> Measured {
        let store = try SQLiteQueueStore(path: directory.path + "/queue.db")
        let session = RegistrySession(configuration: try RegistryConfiguration.forPlan(plan))
        defer { session.http.shutdown() }
        let execution = PlanExecution(plan: plan, store: store, session: session)
        let start = try await execution.start(planJSON: Data("{}".utf8), forceNew: true)
        let before = session.http.statistics
        let summary = try await execution.runner(workers: 1).run(start.run.id)
        let after = session.http.statistics
        return Measured(
            store: store, summary: summary, requests: after.requestsStarted - before.requestsStarted,
            bytesSent: after.bytesSent - before.bytesSent)
    }

    static func repositoryName(_ registry: String, _ use: String) -> String {
        "\(registry)/traffic-\(use)/\(UUID().uuidString.lowercased().prefix(12))"
    }

    static func push(_ content: CleanupTestRepository, to name: String) async throws {
        let registry = String(name.prefix { $0 != "/" })
        let session = RegistrySession(configuration: RegistryConfiguration(insecureRegistries: [registry]))
        defer { session.http.shutdown() }
        try await content.push(to: RegistryRepository(session: session, reference: try Reference(parsing: name)))
    }

    static func pushResults(_ store: SQLiteQueueStore, run: RunID) async throws -> [PushResult] {
        try await store.steps(run: run).filter { $0.kind == .push }.map { step in
            try StepJSON.decode(PushResult.self, from: try #require(step.result), what: "push result")
        }
    }

    @Test func relabelingMovesNoLayerBytesAndARerunWritesNothing() async throws {
        let registry = try TestServices.plainRegistry
        let name = Self.repositoryName(registry, "relabel")
        var content = CleanupTestRepository()
        for number in 1...4 { content.tag("v\(number)", content.addImage(seed: 43_000 + UInt64(number), created: nil)) }
        try await Self.push(content, to: name)
        let plan = try Self.plan(
            #"{"id": "owner", "relabel": {"repositories": ["\#(name)"], "labels": {"org.example.owner": "a"}}}"#,
            registries: [registry])
        let directory = try RunnerTemporaryDirectory()

        let first = try await Self.run(plan, directory: directory)
        #expect(first.summary.outcome == .finished)
        // Exactly the new configs and manifests were sent: no layer byte.
        var written: Int64 = 0
        for step in try await first.store.steps(run: first.summary.runID) where step.kind == .mutate {
            let made = try StepJSON.decode(MutateResult.self, from: try #require(step.result), what: "mutate")
            written += Int64((made.root?.bytes.count ?? 0) + made.blobs.reduce(0) { $0 + $1.bytes.count })
        }
        #expect(first.bytesSent == written)
        let pushes = try await Self.pushResults(first.store, run: first.summary.runID)
        #expect(pushes.count == 4)
        // The new config is uploaded; the layer counts as present without a request.
        #expect(pushes.allSatisfy { $0.blobsUploaded == 1 && $0.blobsSkipped == 1 && $0.blobsMounted == 0 })
        #expect(pushes.map(\.bytesMoved).reduce(0, +) < written)
        // Per image: load GET, mutate GET manifest + GET config, push HEAD tag, config HEAD + POST + PUT,
        // manifest PUT; plus the session's first request to the registry (its scheme probe) and one
        // tag listing.
        print("relabel: \(first.requests) requests for 4 images, \(first.bytesSent) bytes sent")
        #expect(first.requests == 2 + 4 * 8)
        #expect(pushes.allSatisfy { $0.requests == 5 })

        let again = try await Self.run(plan, directory: directory)
        #expect(again.summary.outcome == .finished)
        #expect(again.bytesSent == 0)
        let steps = try await again.store.steps(run: again.summary.runID)
        #expect(steps.filter { $0.kind == .mutate || $0.kind == .push }.allSatisfy { $0.state == .skipped })
        print("relabel re-run: \(again.requests) requests for 4 images")
        // Per image: load GET, mutate GET manifest + GET config (labels already there), push HEAD.
        #expect(again.requests == 2 + 4 * 4)
    }

    @Test func aRerunOfAFinishedMigrationCostsAboutOneHeadPerImage() async throws {
        let source = Self.repositoryName(try TestServices.plainRegistry, "migrate")
        let target = Self.repositoryName(try TestServices.secondPlainRegistry, "migrate")
        var content = CleanupTestRepository()
        for number in 1...6 {
            content.tag("1.\(number)", content.addImage(seed: 44_000 + UInt64(number), created: nil))
        }
        try await Self.push(content, to: source)
        let plan = try Self.plan(
            #"{"id": "migrate", "copy": {"from": "\#(source)", "to": "\#(target)"}}"#,
            registries: [try TestServices.plainRegistry, try TestServices.secondPlainRegistry])
        let directory = try RunnerTemporaryDirectory()
        let first = try await Self.run(plan, directory: directory)
        #expect(first.summary.outcome == .finished)
        #expect(first.bytesSent > 0)

        let again = try await Self.run(plan, directory: directory)
        #expect(again.summary.outcome == .finished)
        #expect(again.bytesSent == 0)
        let pushes = try await Self.pushResults(again.store, run: again.summary.runID)
        #expect(pushes.count == 6)
        // The first push also makes the session's first request to the target registry (its scheme probe).
        #expect(pushes.map(\.requests) == [2, 1, 1, 1, 1, 1])
        #expect(pushes.allSatisfy { $0.skipped })
        print("migration re-run: \(again.requests) requests for 6 images")
        // A scheme probe per registry, one tag listing, then per image the load's GET and the push's HEAD.
        #expect(again.requests == 2 + 1 + 6 * 2)
    }

    @Test func referrersAreCopiedThroughTheTagScheme() async throws {
        let source = Self.repositoryName(try TestServices.plainRegistry, "referrers")
        let target = Self.repositoryName(try TestServices.secondPlainRegistry, "referrers")
        var content = CleanupTestRepository()
        let image = content.addImage(seed: 45_001, created: nil)
        let other = content.addImage(seed: 45_002, created: nil)
        content.tag("1.0", image)
        content.tag("2.0", other)
        let scheme = "sha256-\(image.digest.encoded)"
        let signature = content.addArtifact(seed: 45_003)
        let sbom = content.addArtifact(seed: 45_004)
        content.tag(scheme + ".sig", signature)
        content.tag(scheme, content.addIndex([CleanupTestRepository.child(sbom)]))
        content.tag("sha256-\(other.digest.encoded).sig", content.addArtifact(seed: 45_005))
        try await Self.push(content, to: source)
        let plan = try Self.plan(
            #"{"id": "with-referrers", "copy": {"from": "\#(source):1.0", "to": "\#(target):1.0", "referrers": true}}"#,
            registries: [try TestServices.plainRegistry, try TestServices.secondPlainRegistry])
        let directory = try RunnerTemporaryDirectory()
        let run = try await Self.run(plan, directory: directory)
        #expect(run.summary.outcome == .finished)

        let session = RegistrySession(
            configuration: RegistryConfiguration(insecureRegistries: [try TestServices.secondPlainRegistry]))
        defer { session.http.shutdown() }
        let copied = RegistryRepository(session: session, reference: try Reference(parsing: target))
        #expect(try await copied.listTags() == ["1.0", scheme, scheme + ".sig"].sorted())
        for tag in ["1.0", scheme, scheme + ".sig"] {
            #expect(try await copied.manifestDigest(tag: tag) == content.tags[tag], "\(tag)")
        }
        #expect(try await copied.hasManifest(sbom.digest))
        let discover = try await run.store.audit(AuditFilter(run: run.summary.runID, op: .discover))
        #expect(discover.count == 1)
        #expect(discover.first?.digest == image.digest.description)
    }
}
