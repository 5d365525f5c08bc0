import Foundation
import OCI
import Queue
import TestSupport
import Testing

@testable import OCIBatchCLI

/// `audit`, `status` and `runs` over a database filled through the queue's public API.
@Suite struct HistoryCommandTests {
    /// A run of three steps: a push that succeeded, a delete that failed, a load that was skipped.
    static func filledDatabase(_ scratch: LayoutScratchDirectory) async throws -> String {
        let path = scratch.join("state/ocibatch.db")
        let store = try SQLiteQueueStore(path: path)
        let run = try await store.startRun(
            NewRun(planName: "nightly", planHash: "sha256:1", planJSON: Data("{}".utf8)), forceNew: false
        ).run
        _ = try await store.insertSteps(
            [
                NewStep(
                    key: "a", jobID: "import", kind: .push, source: "oci:/x:1",
                    target: "docker://reg.example/team/app:1"),
                NewStep(key: "b", jobID: "retire", kind: .delete, target: "docker://reg.example/team/app:0.9"),
                NewStep(key: "c", jobID: "import", kind: .load, source: "docker://reg.example/other/app:1"),
            ], into: run.id)
        let claimed = try await store.claim(run: run.id, owner: "test", leaseDuration: .seconds(60), limit: 10)
        for step in claimed {
            let lease = step.lease
            switch try await store.step(lease.step)?.key {
            case "a":
                try await store.complete(
                    lease, outcome: .succeeded,
                    report: StepReport(
                        digest: "sha256:" + String(repeating: "a", count: 64),
                        mediaType: "application/vnd.oci.image.index.v1+json", size: 1234))
            case "b":
                try await store.complete(
                    lease, outcome: .failed, report: StepReport(error: "tag moved, with \"quotes\", and commas"))
            default:
                try await store.complete(lease, outcome: .skipped, report: StepReport())
            }
        }
        return path
    }

    @Test func auditFiltersAndFormats() async throws {
        let scratch = try LayoutScratchDirectory()
        let db = try await Self.filledDatabase(scratch)
        let all = await runCommand(["audit", "--db", db, "--format", "json"])
        #expect(all.status == 0, "\(all.stderr)")
        let lines = all.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        let first = try JSONValue.parse(Data(lines[0].utf8))
        #expect(first.objectValue?.keys == AuditCommand.columns + ["details"])

        let failed = await runCommand(["audit", "--db", db, "--outcome", "failed", "--format", "csv"])
        #expect(failed.stdout.split(separator: "\n").count == 2)
        #expect(failed.stdout.contains("\"tag moved, with \"\"quotes\"\", and commas\""))

        let byRef = await runCommand(["audit", "--db", db, "--ref", "reg.example/team/*", "--format", "json"])
        #expect(byRef.stdout.split(separator: "\n").count == 2)
        let byDigest = await runCommand(["audit", "--db", db, "--digest", "sha256:aaaa", "--format", "json"])
        #expect(byDigest.stdout.split(separator: "\n").count == 1)
        let byOp = await runCommand(["audit", "--db", db, "--op", "delete"])
        #expect(byOp.stdout.contains("retire"))
        #expect(!byOp.stdout.contains("import"))
        let future = await runCommand(["audit", "--db", db, "--since", "2999-01-01", "--format", "json"])
        #expect(future.stdout.isEmpty)
        let recent = await runCommand(["audit", "--db", db, "--since", "1h", "--format", "json"])
        #expect(recent.stdout.split(separator: "\n").count == 3)
    }

    @Test(arguments: [
        (["--op", "copy"], "--op copy"),
        (["--since", "yesterday"], "--since yesterday"),
        (["--outcome", "ok"], "--outcome ok"),
        (["--run", "x"], "--run x"),
        (["--format", "xml"], "unknown format 'xml'"),
    ])
    func badFiltersExit2(extra: [String], message: String) async throws {
        let scratch = try LayoutScratchDirectory()
        let db = try await Self.filledDatabase(scratch)
        let result = await runCommand(["audit", "--db", db] + extra)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func statusAndRunsShowProgressAndFailures() async throws {
        let scratch = try LayoutScratchDirectory()
        let db = try await Self.filledDatabase(scratch)
        let status = await runCommand(["status", "--db", db])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("plan 'nightly'"))
        #expect(status.stdout.contains("Failed steps:"))
        #expect(status.stdout.contains("tag moved"))
        let json = await runCommand(["status", "--db", db, "--format", "json"])
        let object = try JSONValue.parse(Data(json.stdout.utf8))
        #expect(object["failed"]?.arrayValue?.count == 1)
        let runs = await runCommand(["runs", "--db", db, "--format", "json"])
        let run = try JSONValue.parse(Data(runs.stdout.utf8))
        #expect(run["steps"]?.numberValue?.int64Value == 3)
        #expect(run["byState"]?["failed"]?.numberValue?.int64Value == 1)
    }

    @Test func databaseDefaultsToXDGStateAndMissingDatabaseIsAnError() async throws {
        let scratch = try LayoutScratchDirectory()
        let result = await runCommand(
            ["runs"], environment: ["XDG_STATE_HOME": scratch.join("xdg"), "HOME": scratch.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains(scratch.join("xdg") + "/ocibatch/ocibatch.db"))
        let viaEnvironment = await runCommand(["runs"], environment: ["OCIBATCH_DB": scratch.join("other.db")])
        #expect(viaEnvironment.stderr.contains(scratch.join("other.db")))
    }
}
