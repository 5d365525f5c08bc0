import Foundation
import ImageTransports
import OCI
import Queue
import Registry
import TestSupport
import Testing

@testable import Engine

/// Cleanup jobs end to end against the plain registry: planning records the decision, the deletions
/// leave exactly the expected tags, shared digests and kept indexes are respected, dry runs change
/// nothing, and a tag that moves after planning is not deleted.
@Suite struct CleanupRunTests {
    /// A repository of 37 tags, each created `days` ago: releases, pull-request builds, aliases that
    /// share digests, two multi-platform indexes with tagged children, and undated dev builds.
    static func repository() -> CleanupTestRepository {
        var content = CleanupTestRepository()
        var seed: UInt64 = 40_000
        func image(_ days: Double?, architecture: String = "amd64") -> ManifestData {
            seed += 1
            let created = days.map { ISO8601DateFormatter().string(from: Date().addingTimeInterval(-$0 * 86_400)) }
            return content.addImage(seed: seed, created: created, architecture: architecture)
        }
        for number in 1...8 {
            let release = image(Double(100 - 10 * number))
            content.tag("v1.\(number)", release)
            if number == 8 { content.tag("latest", release) }
        }
        for number in 1...12 {
            let build = image(Double(2 * number + 1))
            content.tag("pr-\(number)", build)
            if number == 11 { content.tag("release-keep", build) }
            if number == 12 { content.tag("old-alias", build) }
        }
        for (name, days) in [("multi-1", 200.0), ("multi-2", 40.0)] {
            let amd64 = image(days)
            let arm64 = image(days, architecture: "arm64")
            let index = content.addIndex([
                CleanupTestRepository.child(amd64), CleanupTestRepository.child(arm64, architecture: "arm64"),
            ])
            content.tag(name, index)
            content.tag(name == "multi-1" ? "multi-1-amd64" : "multi-2-arm64", name == "multi-1" ? amd64 : arm64)
        }
        for number in 1...10 { content.tag("dev-\(number)", image(nil)) }
        return content
    }

    static let policy = """
        "keep": {"last": 3, "tags": ["release-keep", "latest", "multi-2"], "match": "^v1\\\\.[78]$"},
        "delete": {"olderThan": "10d"}
        """
    static let deleted: Set<String> = [
        "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "pr-8", "pr-9", "pr-10", "pr-12", "old-alias", "multi-1",
        "multi-1-amd64",
    ]
    static let notRemovable: Set<String> = ["pr-11", "multi-2-arm64"]

    static func plan(_ repository: String, registry: String, rules: String = policy) throws -> Plan {
        let text = """
            {"version": 1, "name": "cleanup-\(UUID())", "defaults": {"insecureRegistries": ["\(registry)"]},
             "jobs": [{"id": "nightly", "cleanup": {"repositories": ["\(repository)"], \(rules)}}]}
            """
        return try PlanLoader.load(data: Data(text.utf8), source: "test", validator: PlanValidator(baseDirectory: "/"))
    }

    /// A fresh repository on the plain registry holding `content`.
    static func pushed(_ content: CleanupTestRepository) async throws -> (name: String, session: RegistrySession) {
        let registry = try TestServices.plainRegistry
        let name = "\(registry)/cleanup-run/\(UUID().uuidString.lowercased().prefix(12))"
        let session = RegistrySession(configuration: RegistryConfiguration(insecureRegistries: [registry]))
        try await content.push(to: RegistryRepository(session: session, reference: try Reference(parsing: name)))
        return (name, session)
    }

    static func tags(_ name: String, session: RegistrySession) async throws -> Set<String> {
        Set(try await RegistryRepository(session: session, reference: try Reference(parsing: name)).listTags())
    }

    @Test func theExactSetSurvivesAndTheDecisionIsAudited() async throws {
        let content = Self.repository()
        #expect(content.tags.count == 37)
        let (name, session) = try await Self.pushed(content)
        defer { session.http.shutdown() }
        let directory = try RunnerTemporaryDirectory()
        let (store, summary) = try await ExecutorTests.run(
            try Self.plan(name, registry: try TestServices.plainRegistry), directory: directory, beforeDelete: {})
        #expect(summary.outcome == .finished)

        let survivors = try await Self.tags(name, session: session)
        #expect(survivors == Set(content.tags.keys).subtracting(Self.deleted))

        let audit = try await store.audit(AuditFilter(run: summary.runID))
        let discover = try #require(audit.first { $0.op == "discover" })
        let details = try #require(discover.details)
        let result = try StepJSON.decode(DiscoverResult.self, from: details, what: "details")
        let record = try #require(result.cleanup)
        #expect(record.entries.count == 37)
        let deletedEntries = record.entries.filter { $0.action == "delete" }
        #expect(Set(deletedEntries.map(\.tag)) == Self.deleted)
        for entry in record.entries {
            #expect(entry.digest == content.tags[entry.tag]?.description, "digest of \(entry.tag)")
        }
        #expect(record.entries.first { $0.tag == "v1.1" }?.rule == "delete.olderThan(1w3d)")

        // One delete record per deleted tag; tags sharing a digest delete it once.
        let deletes = audit.filter { $0.op == "delete" }
        func tag(_ record: AuditRecord) -> String { String(record.target?.split(separator: ":").last ?? "") }
        let removed = deletes.filter { $0.outcome == .succeeded }.map(tag)
        let alreadyGone = deletes.filter { $0.outcome == .skipped && $0.error?.contains("already gone") == true }
        #expect(Set(removed).union(alreadyGone.map(tag)) == Self.deleted)
        #expect(removed.count == Self.deleted.count - 1)
        #expect(alreadyGone.map(tag).allSatisfy { ["pr-12", "old-alias"].contains($0) })
        for record in deletes where record.outcome == .succeeded {
            #expect(record.digest == content.tags[tag(record)]?.description)
        }
        // Not removable: reported with the reason, never deleted.
        let reported = deletes.filter { $0.error?.hasPrefix("not removable") == true }
        #expect(Set(reported.map(tag)) == Self.notRemovable)
        #expect(reported.allSatisfy { $0.outcome == .skipped })
        #expect(
            reported.first { tag($0) == "pr-11" }?.error == "not removable: digest shared with kept tag release-keep")
    }

    @Test func aDryRunChangesNothingAndRecordsTheDecision() async throws {
        let content = Self.repository()
        let (name, session) = try await Self.pushed(content)
        defer { session.http.shutdown() }
        let directory = try RunnerTemporaryDirectory()
        let store = try SQLiteQueueStore(path: directory.path + "/queue.db")
        let plan = try Self.plan(name, registry: try TestServices.plainRegistry)
        let execution = PlanExecution(plan: plan, store: store, session: session, dryRun: true)
        let start = try await execution.start(planJSON: Data("{}".utf8))
        let summary = try await execution.runner(workers: 4).run(start.run.id)
        #expect(summary.outcome == .finished)
        #expect(try await Self.tags(name, session: session) == Set(content.tags.keys))
        let deletes = try await store.audit(AuditFilter(run: start.run.id, op: .delete))
        #expect(deletes.count == Self.deleted.count + Self.notRemovable.count)
        #expect(deletes.allSatisfy { $0.outcome == .skipped && $0.error?.hasPrefix("dry run:") == true })
        let discover = try #require(try await store.steps(run: start.run.id).first { $0.kind == .discover })
        let stored = try #require(discover.result)
        let record = try #require(try StepJSON.decode(DiscoverResult.self, from: stored, what: "result").cleanup)
        let table = CleanupDecisionTable.render(record)
        #expect(table.hasPrefix(name + ":\nTAG"))
        #expect(table.hasSuffix("22 keep, 13 delete, 2 not removable"))
    }

    @Test func aTagThatMovesAfterPlanningIsNotDeleted() async throws {
        var content = CleanupTestRepository()
        let old = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-30 * 86_400))
        let new = ISO8601DateFormatter().string(from: Date())
        content.tag("old-1", content.addImage(seed: 41_001, created: old))
        content.tag("old-2", content.addImage(seed: 41_002, created: old))
        let fresh = content.addImage(seed: 41_003, created: new)
        content.tag("fresh", fresh)
        let (name, session) = try await Self.pushed(content)
        defer { session.http.shutdown() }
        let repository = RegistryRepository(session: session, reference: try Reference(parsing: name))
        let moved = MoveOnce {
            // Someone pushes the fresh image to old-1 after the cleanup decided.
            try await repository.putManifest(fresh, tag: "old-1")
        }
        let directory = try RunnerTemporaryDirectory()
        let (store, summary) = try await ExecutorTests.run(
            try Self.plan(name, registry: try TestServices.plainRegistry, rules: #""delete": {"olderThan": "7d"}"#),
            directory: directory, beforeDelete: { try await moved.run() })
        #expect(summary.outcome == .failed)
        #expect(try await Self.tags(name, session: session) == ["old-1", "fresh"])
        #expect(try await repository.manifestDigest(tag: "old-1") == fresh.digest)
        let failed = try await store.audit(AuditFilter(run: summary.runID, outcome: .failed))
        #expect(failed.count == 1)
        #expect(failed.first?.error?.contains("moved from \(content.tags["old-1"]?.description ?? "?")") == true)
        #expect(failed.first?.error?.contains("since planning; not deleted") == true)
    }

    @Test func aPolicyThatWouldEmptyTheRepositoryFailsTheJob() async throws {
        var content = CleanupTestRepository()
        let old = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-30 * 86_400))
        content.tag("a", content.addImage(seed: 42_001, created: old))
        content.tag("b", content.addImage(seed: 42_002, created: old))
        let (name, session) = try await Self.pushed(content)
        defer { session.http.shutdown() }
        let directory = try RunnerTemporaryDirectory()
        let (store, summary) = try await ExecutorTests.run(
            try Self.plan(name, registry: try TestServices.plainRegistry, rules: #""delete": {"olderThan": "7d"}"#),
            directory: directory, beforeDelete: {})
        #expect(summary.outcome == .failed)
        #expect(try await Self.tags(name, session: session) == ["a", "b"])
        let failed = try await store.audit(AuditFilter(run: summary.runID, outcome: .failed))
        #expect(failed.map(\.op) == ["discover"])
        #expect(failed.first?.error?.contains("would delete all 2 tags") == true)
        #expect(failed.first?.error?.contains("\"allowEmpty\": true") == true)
    }
}

/// Runs its action the first time only.
actor MoveOnce {
    private var action: (@Sendable () async throws -> Void)?

    init(_ action: @escaping @Sendable () async throws -> Void) {
        self.action = action
    }

    func run() async throws {
        guard let action else { return }
        self.action = nil
        try await action()
    }
}
