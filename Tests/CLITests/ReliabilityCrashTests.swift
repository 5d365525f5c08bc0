import Foundation
import OCI
import Queue
import TestSupport
import Testing

/// The built binary killed with SIGKILL at seeded random points of a mixed plan (copy with labels,
/// relabel, delete) and run again until done; and two processes sharing one database and plan.
@Suite(.serialized) struct ReliabilityCrashTests {
    static let kills = 8

    /// What one scenario's registry state is compared by: tag (without the workspace prefix) → digest,
    /// nil when the tag is gone.
    typealias RegistryState = [String: Digest?]

    static let copied = ["app:a0", "app:a1", "app:a2", "app:a3"]
    static let relabeled = ["base:b0", "base:b1"]
    static let deleted = ["old:o0", "old:o1"]
    static let untouched = ["old:o2", "keep:k0"]

    /// Seeds the registry with the images the plan relabels and deletes (and two it must leave
    /// alone), writes the layout it copies, and writes the plan.
    static func setUp(_ workspace: RunWorkspace) async throws -> (plan: String, seeded: [String: Digest]) {
        let registry = workspace.registry
        var seeded: [String: [String: OCITestImage]] = [:]
        for (offset, name) in (relabeled + deleted + untouched).enumerated() {
            let parts = name.split(separator: ":").map(String.init)
            seeded[parts[0], default: [:]][parts[1]] = try OCITestImages.image(
                seed: 8_100 + UInt64(offset), layerCount: 2, layerSize: 64 << 10)
        }
        try await Reliability.seed(seeded, workspace: workspace, registry: registry)
        let app = try copied.enumerated().map { offset, name in
            LayoutFixtures.Entry(
                try OCITestImages.image(seed: 8_000 + UInt64(offset), layerCount: 3, layerSize: 512 << 10),
                refName: String(name.dropFirst("app:".count)))
        }
        try LayoutFixtures.writeLayout(app, to: workspace.scratch.join("app"))
        let repo = "\(registry)/\(workspace.prefix)"
        let plan = try workspace.write(
            "mixed.json",
            """
            {"version": 1, "name": "mixed-\(workspace.prefix)",
             "defaults": {"workers": 2, "insecureRegistries": ["\(registry)"]},
             "jobs": [
              {"id": "import", "copy": {"from": "oci:./app", "to": "\(repo)/app"},
               "mutate": {"labels": {"org.example.crash": "survived"}}},
              {"id": "own", "relabel": {"repositories": ["\(repo)/base"], "labels": {"org.example.owner": "team-a"}}},
              {"id": "retire", "delete": {"images": ["\(repo)/old:o0", "\(repo)/old:o1"]}}
             ]}
            """)
        var digests: [String: Digest] = [:]
        for (repository, images) in seeded {
            for (tag, image) in images { digests["\(repository):\(tag)"] = image.rootDigest }
        }
        return (plan, digests)
    }

    /// Every tag the plan writes, deletes or must leave alone, as the registry has it now.
    static func registryState(_ workspace: RunWorkspace) async throws -> RegistryState {
        var state: RegistryState = [:]
        for name in copied + relabeled + deleted + untouched {
            state[name] = try await RunWorkspace.skopeoDigest("\(workspace.registry)/\(workspace.prefix)/\(name)")
        }
        return state
    }

    /// Starts the binary on `plan`; SIGKILLs it once it has reported `steps` finished steps (one line
    /// each on its output), unless it ended first. True when it was killed. The kill point is the
    /// thing under test: a seeded step count, waited for as an event, not a guess at a time.
    static func runAndKill(_ workspace: RunWorkspace, plan: String, afterFinishedSteps steps: Int, name: String)
        async throws -> Bool
    {
        let process = try RunInterruptionTests.launch(workspace, ["run", plan], name: name)
        _ = await HTTPTestPolling.until(timeout: .seconds(60)) {
            !process.isRunning || finishedSteps(RunInterruptionTests.output(workspace, name + ".out")) >= steps
        }
        let killed = process.isRunning
        if killed { kill(process.processIdentifier, SIGKILL) }
        _ = await RunInterruptionTests.waitForExit(process)
        let integrity = try await Reliability.integrityCheck(workspace.database)
        #expect(integrity == "ok", "after \(name): \(integrity)")
        return killed && process.terminationReason == .uncaughtSignal
    }

    /// Lines of `run` output that report a finished step (`OUTCOME JOB KIND …`).
    static func finishedSteps(_ output: String) -> Int {
        output.split(separator: "\n").filter { line in
            ["succeeded ", "skipped ", "failed ", "dead "].contains { line.hasPrefix($0) }
        }.count
    }

    @Test func killedAtSeededRandomPointsTheMixedPlanAlwaysFinishesAsACleanRunDoes() async throws {
        // A clean run: the state every killed scenario must end in, and how many steps a run finishes.
        let clean = try RunWorkspace()
        let (cleanPlan, seeded) = try await Self.setUp(clean)
        let cleanResult = try await Reliability.binary(["run", cleanPlan], database: clean.database)
        try #require(cleanResult.status == 0, "\(cleanResult.output)")
        let expected = try await Self.registryState(clean)
        let totalSteps = try await clean.store().audit(AuditFilter()).count
        try #require(totalSteps > 4, "the clean run finished only \(totalSteps) steps")
        for name in Self.deleted { #expect(expected[name] == .some(nil), "\(name) was not deleted") }
        for name in Self.untouched { #expect(expected[name] == seeded[name], "\(name) changed") }
        for name in Self.relabeled {
            #expect(expected[name] != nil && expected[name] != seeded[name], "\(name) was not relabeled")
        }
        for name in Self.copied { #expect(expected[name] != nil, "\(name) was not copied") }

        var random = FuzzRandom(seed: 0xC7A5_4001)
        var landed = 0
        for scenario in 0..<Self.kills {
            let workspace = try RunWorkspace()
            let (plan, _) = try await Self.setUp(workspace)
            // First kill after any number of finished steps; the second one early in the resumed run.
            let first = Int.random(in: 1..<totalSteps, using: &random)
            let second = Int.random(in: 1...3, using: &random)
            if try await Self.runAndKill(workspace, plan: plan, afterFinishedSteps: first, name: "s\(scenario)-first") {
                landed += 1
            }
            _ = try await Self.runAndKill(
                workspace, plan: plan, afterFinishedSteps: second, name: "s\(scenario)-second")
            let final = try await Reliability.binary(["run", plan], database: workspace.database)
            #expect(final.status == 0, "scenario \(scenario) (kills after \(first), \(second)): \(final.output)")

            #expect(try await Self.registryState(workspace) == expected, "scenario \(scenario)")
            let store = try workspace.store()
            // A kill that came too late leaves a finished run; the next launch then starts a new one
            // that finds the work done. Every run is finished with one audit record per step.
            for run in try await store.runs() {
                #expect(run.state == .finished, "scenario \(scenario)")
                try await RunWorkspace.expectOneAuditRecordPerStep(store, run: run.id)
            }
            // No tag written or deleted twice over all runs (a write the kill hid is found done: skipped).
            let writes = try await store.audit(AuditFilter()).filter {
                $0.outcome == .succeeded && ($0.op == StepKind.push.rawValue || $0.op == StepKind.delete.rawValue)
            }
            let byTarget = Dictionary(grouping: writes) { "\($0.op) \($0.target ?? "")" }
            for (target, records) in byTarget {
                #expect(records.count == 1, "scenario \(scenario): \(target) done \(records.count) times")
            }
        }
        #expect(landed >= Self.kills / 2, "only \(landed) of \(Self.kills) kills hit a running process")
    }

    @Test func twoProcessesOnOneDatabaseAndPlanShareTheWorkWithoutDoingAnythingTwice() async throws {
        let workspace = try RunWorkspace()
        let images = try (0..<6).map { index in
            LayoutFixtures.Entry(
                try OCITestImages.image(seed: 8_500 + UInt64(index), layerCount: 2, layerSize: 256 << 10),
                refName: "v\(index)")
        }
        try LayoutFixtures.writeLayout(images, to: workspace.scratch.join("shared"))
        let target = "\(workspace.registry)/\(workspace.prefix)/shared"
        let plan = try workspace.write(
            "shared.json",
            """
            {"version": 1, "name": "shared-\(workspace.prefix)",
             "defaults": {"workers": 2, "insecureRegistries": ["\(workspace.registry)"]},
             "jobs": [{"id": "all", "copy": {"from": "oci:./shared", "to": "\(target)"},
                       "mutate": {"labels": {"org.example.shared": "yes"}}}]}
            """)

        async let first = Reliability.binary(["run", plan], database: workspace.database)
        async let second = Reliability.binary(["run", plan], database: workspace.database)
        let results = try await [first, second]
        for result in results { #expect(result.status == 0, "\(result.output)") }

        let (audit, steps) = try await Reliability.everyRecord(workspace.database)
        let runs = try await workspace.store().runs()
        #expect(runs.count == 1, "the two processes started \(runs.count) runs instead of sharing one")
        for run in runs { try await RunWorkspace.expectOneAuditRecordPerStep(try workspace.store(), run: run.id) }
        #expect(audit.count == steps.count)
        for entry in images {
            let tag = entry.refName ?? ""
            let pushes = audit.filter {
                $0.op == StepKind.push.rawValue && $0.outcome == .succeeded
                    && ($0.target ?? "").hasSuffix("/shared:\(tag)")
            }
            #expect(pushes.count == 1, "\(tag) was pushed \(pushes.count) times")
            let digest = try await RunWorkspace.skopeoDigest("\(target):\(tag)")
            #expect(digest != nil && pushes.first?.digest == digest?.description, "\(tag)")
        }
    }
}
