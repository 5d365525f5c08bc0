import Engine
import Foundation
import OCI
import Queue
import TestSupport
import Testing

/// Runs where a registry is down: steps retry, die, and the rest of the run goes on.
@Suite struct RunFailureTests {
    @Test func aRegistryThatIsDownKillsItsStepsAndTheRunGoesOn() async throws {
        let workspace = try RunWorkspace()
        let image = try OCITestImages.image(seed: 8_101)
        try LayoutFixtures.writeLayout([.init(image, refName: "v1")], to: workspace.scratch.join("a"))
        // Port 1 on loopback: nothing listens there, so every connection is refused.
        let plan = try workspace.write(
            "down.json",
            """
            {"version": 1, "name": "down-\(workspace.prefix)",
             "defaults": {"insecureRegistries": ["127.0.0.1:1", "\(workspace.registry)"],
                          "retry": {"attempts": 2, "initialDelay": "10ms", "maxDelay": "20ms"}},
             "jobs": [
               {"id": "down", "copy": {"from": "oci:./a:v1", "to": "127.0.0.1:1/nowhere/app:v1"}},
               {"id": "up", "copy": {"from": "oci:./a:v1", "to": "\(workspace.registry)/\(workspace.prefix)/app:v1"}}
             ]}
            """)
        let result = await workspace.ocibatch(["run", plan])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let run = try RunWorkspace.runID(result.stdout)
        #expect(result.stdout.contains("dead down push docker://127.0.0.1:1/nowhere/app:v1"), "\(result.stdout)")
        #expect(result.stderr.contains("failed steps:"))
        #expect(result.stderr.contains("push (job down) dead after 2 attempts"), "\(result.stderr)")
        // The suggested commands name the database this run used.
        #expect(result.stderr.contains("ocibatch audit --run \(run) --outcome failed --db \(workspace.database)"))
        #expect(result.stderr.contains("ocibatch status --run \(run) --db \(workspace.database)"))

        let steps = try await workspace.store().steps(run: run)
        let dead = try #require(steps.first { $0.jobID == "down" && $0.kind == .push })
        #expect(dead.state == .dead)
        #expect(dead.attempts == 2)
        let up = try #require(steps.first { $0.jobID == "up" && $0.kind == .push })
        #expect(up.state == .succeeded)
        #expect(
            try await RunWorkspace.skopeoDigest("\(workspace.registry)/\(workspace.prefix)/app:v1") == image.rootDigest)
        try await RunWorkspace.expectOneAuditRecordPerStep(try workspace.store(), run: run)

        let status = await workspace.ocibatch(["status", "--run", "\(run)"])
        #expect(status.stdout.contains("dead"))
    }

    @Test func resumeWithoutAnUnfinishedRunSaysSo() async throws {
        let workspace = try RunWorkspace()
        let missing = await workspace.ocibatch(["resume"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no ocibatch database"))
        _ = try workspace.store()
        let none = await workspace.ocibatch(["resume"])
        #expect(none.status == 0)
        #expect(none.stdout.contains("no unfinished run"))
    }

    @Test(arguments: [["--workers", "0"], ["--workers", "many"]])
    func badWorkerCountsExit2(flags: [String]) async throws {
        let workspace = try RunWorkspace()
        let plan = try workspace.examplePlan("import-layout.json")
        let result = await workspace.ocibatch(["run", plan] + flags)
        #expect(result.status == 2)
        #expect(result.stderr.contains("--workers"))
    }
}
