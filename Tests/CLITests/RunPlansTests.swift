import Engine
import Foundation
import OCI
import Queue
import TestSupport
import Testing

/// The example plans in `plans/`, run in their documented order against the test registries.
@Suite struct RunPlansTests {
    /// The digest the example layout's `1.0` has, read from its `index.json`.
    static func layoutDigest(_ workspace: RunWorkspace) throws -> Digest {
        let index = try JSONValue.parse(
            Data(contentsOf: URL(fileURLWithPath: workspace.scratch.join("example-layout/index.json"))))
        let text = try #require(index["manifests"]?.arrayValue?.first?["digest"]?.stringValue)
        return try Digest(parsing: text)
    }

    /// The labels skopeo sees on `reference` (the linux/amd64 image of an index).
    static func labels(_ reference: String) async throws -> [String: String] {
        let output = try await TestProcess.runChecked(
            try TestProcess.locate("skopeo"),
            [
                "inspect", "--tls-verify=false", "--override-os", "linux", "--override-arch", "amd64",
                "docker://" + reference,
            ])
        let labels = try JSONValue.parse(output)["Labels"]?.objectValue
        return Dictionary(
            uniqueKeysWithValues: (labels ?? JSONObject()).compactMap { member in
                member.value.stringValue.map { (member.key, $0) }
            })
    }

    /// The digest of the push step of `job` whose target ends with `suffix`.
    static func pushed(_ store: SQLiteQueueStore, run: RunID, job: String, suffix: String) async throws -> Digest {
        let steps = try await store.steps(run: run)
        let push = try #require(
            steps.first { $0.kind == .push && $0.jobID == job && ($0.target ?? "").hasSuffix(suffix) })
        #expect(push.state == .succeeded || push.state == .skipped)
        return try Digest(parsing: try #require(push.digest))
    }

    @Test func examplePlansRunInOrderAndAgainWithoutRedoingWork() async throws {
        let workspace = try RunWorkspace()
        let store = { try workspace.store() }
        let repo = "\(workspace.registry)/\(workspace.prefix)"

        // import-layout.json
        let importPlan = try workspace.examplePlan("import-layout.json")
        let imported = await workspace.ocibatch(["run", importPlan])
        #expect(imported.status == 0, "\(imported.stdout)\(imported.stderr)")
        let importRun = try RunWorkspace.runID(imported.stdout)
        #expect(imported.stdout.contains("succeeded import push docker://\(repo)/hello:1.0 sha256:"))
        let pristine = try Self.layoutDigest(workspace)
        #expect(try await RunWorkspace.skopeoDigest("\(repo)/hello-pristine:1.0") == pristine)
        let labeled = try await Self.pushed(try store(), run: importRun, job: "import", suffix: "/hello:1.0")
        #expect(labeled != pristine)
        #expect(try await RunWorkspace.skopeoDigest("\(repo)/hello:1.0") == labeled)
        #expect(try await Self.labels("\(repo)/hello:1.0")["org.example.team"] == "examples")
        try await RunWorkspace.expectOneAuditRecordPerStep(try store(), run: importRun)

        // Running it again: a new run (the last one finished) that finds both images in place.
        let again = await workspace.ocibatch(["run", importPlan])
        #expect(again.status == 0, "\(again.stderr)")
        let againRun = try RunWorkspace.runID(again.stdout)
        #expect(againRun != importRun)
        let againPushes = try await store().steps(run: againRun).filter { $0.kind == .push }
        #expect(againPushes.count == 2)
        #expect(againPushes.allSatisfy { $0.state == .skipped })
        try await RunWorkspace.expectOneAuditRecordPerStep(try store(), run: againRun)

        // relabel.json
        let relabelPlan = try workspace.examplePlan("relabel.json")
        let relabeled = await workspace.ocibatch(["run", relabelPlan])
        #expect(relabeled.status == 0, "\(relabeled.stdout)\(relabeled.stderr)")
        let relabelRun = try RunWorkspace.runID(relabeled.stdout)
        let owned = try await Self.pushed(try store(), run: relabelRun, job: "owner-in-place", suffix: "/hello:1.0")
        #expect(try await RunWorkspace.skopeoDigest("\(repo)/hello:1.0") == owned)
        #expect(try await Self.labels("\(repo)/hello:1.0")["org.example.owner"] == "team-a")
        #expect(try await Self.labels("\(repo)/hello-pristine:1.0")["org.example.owner"] == "team-a")
        let copy = try await Self.pushed(
            try store(), run: relabelRun, job: "audited-copy", suffix: "/hello:1.0-labeled")
        #expect(try await RunWorkspace.skopeoDigest("\(repo)/hello:1.0-labeled") == copy)
        try await RunWorkspace.expectOneAuditRecordPerStep(try store(), run: relabelRun)
        let relabeledAgain = await workspace.ocibatch(["run", relabelPlan])
        #expect(relabeledAgain.status == 0)
        let inPlace = try await store().steps(run: try RunWorkspace.runID(relabeledAgain.stdout))
            .filter { $0.jobID == "owner-in-place" && ($0.kind == .push || $0.kind == .mutate) }
        #expect(inPlace.count == 4)
        #expect(inPlace.allSatisfy { $0.state == .skipped }, "labels already set: nothing to write")
        // The second job read hello:1.0 again, which the first job may have relabeled meanwhile.
        let current = try #require(try await RunWorkspace.skopeoDigest("\(repo)/hello:1.0-labeled"))

        // migrate.json
        let migrated = await workspace.ocibatch(["run", try workspace.examplePlan("migrate.json")])
        #expect(migrated.status == 0, "\(migrated.stdout)\(migrated.stderr)")
        let migrateRun = try RunWorkspace.runID(migrated.stdout)
        let target = "\(workspace.secondRegistry)/\(workspace.prefix)"
        for tag in ["hello:1.0", "hello:1.0-labeled"] {
            let source = try await RunWorkspace.skopeoDigest("\(repo)/\(tag)")
            #expect(source != nil)
            #expect(try await RunWorkspace.skopeoDigest("\(target)/\(tag)") == source, "\(tag)")
        }
        // Only linux/amd64 of the (relabeled) pristine two-platform image: a new index naming the same child.
        let amd64 = try await TestProcess.runChecked(
            try TestProcess.locate("skopeo"),
            ["inspect", "--raw", "--tls-verify=false", "docker://\(target)/hello-amd64:1.0"])
        let children = try JSONValue.parse(amd64)["manifests"]?.arrayValue ?? []
        #expect(children.compactMap { $0["platform"]?["architecture"]?.stringValue } == ["amd64"])
        let pristineIndex = try JSONValue.parse(
            try await TestProcess.runChecked(
                try TestProcess.locate("skopeo"),
                ["inspect", "--raw", "--tls-verify=false", "docker://\(repo)/hello-pristine:1.0"]))
        let amd64Child = pristineIndex["manifests"]?.arrayValue?.first {
            $0["platform"]?["architecture"]?.stringValue == "amd64"
        }
        #expect(children.first?["digest"]?.stringValue == amd64Child?["digest"]?.stringValue)
        let filtered = try await Self.pushed(
            try store(), run: migrateRun, job: "pristine-amd64", suffix: "/hello-amd64:1.0")
        #expect(Digest.sha256(amd64) == filtered)
        let backup = try await TestProcess.runChecked(
            try TestProcess.locate("skopeo"), ["inspect", "--raw", "oci:\(workspace.scratch.join("backup/hello")):1.0"])
        #expect(Digest.sha256(backup) == owned)
        try await RunWorkspace.expectOneAuditRecordPerStep(try store(), run: migrateRun)

        // delete-tags.json: a dry run first changes nothing and names every tag with its digest.
        let deletePlan = try workspace.examplePlan("delete-tags.json")
        let runsBefore = try await store().runs().count
        let dryRun = await workspace.ocibatch(["run", deletePlan, "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(
            dryRun.stdout.contains("would delete docker://\(repo)/hello:1.0-labeled at \(current)"), "\(dryRun.stdout)")
        #expect(dryRun.stdout.contains("hello-pristine:1.0"))
        #expect(try await store().runs().count == runsBefore)
        #expect(try await RunWorkspace.skopeoDigest("\(repo)/hello:1.0-labeled") == current)

        let deleted = await workspace.ocibatch(["run", deletePlan])
        #expect(deleted.status == 0, "\(deleted.stdout)\(deleted.stderr)")
        let deleteRun = try RunWorkspace.runID(deleted.stdout)
        #expect(try await RunWorkspace.skopeoDigest("\(repo)/hello:1.0-labeled") == nil)
        #expect(try await RunWorkspace.skopeoDigest("\(repo)/hello-pristine:1.0") == nil)
        let deletes = try await store().audit(AuditFilter(run: deleteRun, op: .delete))
        #expect(deletes.count == 2)
        #expect(deletes.allSatisfy { $0.outcome == .succeeded })
        #expect(deletes.first { ($0.target ?? "").hasSuffix("1.0-labeled") }?.digest == current.description)
        try await RunWorkspace.expectOneAuditRecordPerStep(try store(), run: deleteRun)
        let deletedAgain = await workspace.ocibatch(["run", deletePlan])
        #expect(deletedAgain.status == 0)
        let again2 = try await store().steps(run: try RunWorkspace.runID(deletedAgain.stdout))
        #expect(again2.count == 4)
        #expect(again2.allSatisfy { $0.state == .skipped }, "gone already: nothing to delete")
    }

    @Test func cleanupDryRunPrintsTheDecisionTableAndTheRunDeletes() async throws {
        let workspace = try RunWorkspace()
        let repository = "\(workspace.registry)/\(workspace.prefix)/cleanup"
        let old = try OCITestImages.image(seed: 46_001)
        let kept = try OCITestImages.image(seed: 46_002)
        try await ExecutorPush.push(old, to: "\(repository):pr-1", scratch: workspace.scratch)
        try await ExecutorPush.push(kept, to: "\(repository):stable", scratch: workspace.scratch)
        let plan = try workspace.write(
            "cleanup.json",
            """
            {"version": 1, "name": "cleanup-\(workspace.prefix)", "defaults": {"insecureRegistries": ["\(workspace.registry)"]},
             "jobs": [{"id": "prs", "cleanup": {"repositories": ["\(repository)"], "delete": {"match": "^pr-"}}}]}
            """)
        let dry = await workspace.ocibatch(["run", plan, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("\(repository):\nTAG"))
        #expect(dry.stdout.contains("1 keep, 1 delete, 0 not removable"))
        #expect(try await RunWorkspace.skopeoDigest("\(repository):pr-1") != nil, "a dry run deletes nothing")

        let run = await workspace.ocibatch(["run", plan])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try await RunWorkspace.skopeoDigest("\(repository):pr-1") == nil)
        #expect(try await RunWorkspace.skopeoDigest("\(repository):stable") != nil)
        let audit = await workspace.ocibatch([
            "audit", "--op", "delete", "--ref", "\(repository):*", "--format", "json",
        ])
        let line = try #require(audit.stdout.split(separator: "\n").first)
        let record = try JSONValue.parse(Data(line.utf8))
        #expect(record["outcome"]?.stringValue == "succeeded")
        #expect(record["details"]?["rule"]?.stringValue == "delete.match(^pr-)")
    }

    @Test func invalidPlansExit2ListingEveryProblem() async throws {
        let workspace = try RunWorkspace()
        let plan = try workspace.write(
            "bad.json",
            #"{"version": 1, "name": "bad", "jobs": [{"id": "a", "copy": {"from": "nope://x", "to": "y"}}, {"id": "a"}]}"#
        )
        let result = await workspace.ocibatch(["run", plan])
        #expect(result.status == 2)
        #expect(result.stderr.contains("$.jobs[0].copy.from"), "\(result.stderr)")
        #expect(result.stderr.contains("$.jobs[1]"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.database))
    }
}
