import Engine
import Foundation
import OCI
import Queue
import TestSupport
import Testing

/// The built binary, killed or interrupted in the middle of a multi-image copy, then run again.
@Suite(.serialized) struct RunInterruptionTests {
    static let imageCount = 12

    /// A layout of `imageCount` images (three 2 MiB layers each) tagged `t0`… and a plan that
    /// copies every tag to a fresh repository of the plain registry.
    static func setUp() throws -> (workspace: RunWorkspace, plan: String, images: [String: OCITestImage]) {
        guard FileManager.default.isExecutableFile(atPath: RunWorkspace.binary) else {
            throw TestServicesError("\(RunWorkspace.binary) is missing; run 'swift build' first")
        }
        let workspace = try RunWorkspace()
        var images: [String: OCITestImage] = [:]
        for index in 0..<imageCount {
            images["t\(index)"] = try OCITestImages.image(
                seed: 4_000 + UInt64(index), layerCount: 3, layerSize: 2 << 20)
        }
        try LayoutFixtures.writeLayout(
            images.sorted { $0.key < $1.key }.map { .init($0.value, refName: $0.key) },
            to: workspace.scratch.join("many"))
        let plan = try workspace.write(
            "many.json",
            """
            {"version": 1, "name": "many-\(workspace.prefix)",
             "defaults": {"insecureRegistries": ["\(workspace.registry)"], "workers": 1},
             "jobs": [{"id": "all", "copy": {"from": "oci:./many", "to": "\(workspace.registry)/\(workspace.prefix)/app"}}]}
            """)
        return (workspace, plan, images)
    }

    /// Starts the binary; its output goes to files in the workspace.
    static func launch(_ workspace: RunWorkspace, _ arguments: [String], name: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RunWorkspace.binary)
        process.arguments = arguments + ["--db", workspace.database]
        process.currentDirectoryURL = URL(fileURLWithPath: workspace.scratch.path)
        _ = FileManager.default.createFile(atPath: workspace.scratch.join(name + ".out"), contents: nil)
        _ = FileManager.default.createFile(atPath: workspace.scratch.join(name + ".err"), contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: workspace.scratch.join(name + ".out"))
        process.standardError = FileHandle(forWritingAtPath: workspace.scratch.join(name + ".err"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func output(_ workspace: RunWorkspace, _ name: String) -> String {
        (try? String(contentsOfFile: workspace.scratch.join(name), encoding: .utf8)) ?? ""
    }

    /// Waits until the run has pushed some images but not all; returns its id.
    static func waitUntilPartlyDone(_ workspace: RunWorkspace, name: String) async throws -> RunID {
        let started = await HTTPTestPolling.until(timeout: .seconds(60)) {
            output(workspace, name + ".out").hasPrefix("run ")
        }
        try #require(started, "the run did not start: \(output(workspace, name + ".err"))")
        let run = try RunWorkspace.runID(output(workspace, name + ".out"))
        let store = try workspace.store()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let pushed = try await store.steps(run: run).filter { $0.kind == .push && $0.state.isFinal }.count
            if pushed > 0 {
                try #require(pushed < imageCount, "the run finished before it could be stopped")
                return run
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw TestServicesError("no image was pushed within 60 s")
    }

    static func waitForExit(_ process: Process) async -> Int32 {
        _ = await HTTPTestPolling.until(timeout: .seconds(120)) { !process.isRunning }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Every tag's digest as skopeo reads it from the registry equals the layout's.
    static func expectEveryImageCopied(_ workspace: RunWorkspace, _ images: [String: OCITestImage]) async throws {
        for (tag, image) in images {
            let digest = try await RunWorkspace.skopeoDigest("\(workspace.registry)/\(workspace.prefix)/app:\(tag)")
            #expect(digest == image.rootDigest, "\(tag)")
        }
    }

    @Test func killedRunFinishesWhenRunAgainWithoutRedoingFinishedSteps() async throws {
        let (workspace, plan, images) = try Self.setUp()
        let first = try Self.launch(workspace, ["run", plan], name: "first")
        let run = try await Self.waitUntilPartlyDone(workspace, name: "first")
        kill(first.processIdentifier, SIGKILL)
        _ = await Self.waitForExit(first)
        #expect(first.terminationReason == .uncaughtSignal)
        let before = try await workspace.store().audit(AuditFilter(run: run))
        #expect(!before.isEmpty)

        let second = try Self.launch(workspace, ["run", plan], name: "second")
        let status = await Self.waitForExit(second)
        #expect(status == 0, "\(Self.output(workspace, "second.out"))\(Self.output(workspace, "second.err"))")
        #expect(Self.output(workspace, "second.out").hasPrefix("resuming run \(run)"))

        let store = try workspace.store()
        let steps = try await store.steps(run: run)
        #expect(steps.count == 1 + 2 * Self.imageCount)
        #expect(steps.allSatisfy { $0.state == .succeeded || $0.state == .skipped })
        try await RunWorkspace.expectOneAuditRecordPerStep(store, run: run)
        let after = try await store.audit(AuditFilter(run: run))
        for record in before {
            #expect(after.first { $0.id == record.id } == record, "audit record \(record.id) changed")
        }
        for record in before {
            let step = try #require(steps.first { $0.id == record.stepID })
            #expect(step.finishedAt == record.endedAt, "step \(step.id) ran again after it had finished")
        }
        try await Self.expectEveryImageCopied(workspace, images)
    }

    @Test func interruptedRunExits130AndResumeFinishesIt() async throws {
        let (workspace, plan, images) = try Self.setUp()
        let first = try Self.launch(workspace, ["run", plan], name: "first")
        let run = try await Self.waitUntilPartlyDone(workspace, name: "first")
        kill(first.processIdentifier, SIGINT)
        let status = await Self.waitForExit(first)
        #expect(first.terminationReason == .exit)
        #expect(status == 130, "\(Self.output(workspace, "first.err"))")
        #expect(Self.output(workspace, "first.err").contains("ocibatch resume --run \(run)"))
        #expect(try await workspace.store().run(run)?.state == .interrupted)

        let resume = try Self.launch(workspace, ["resume"], name: "resume")
        let resumed = await Self.waitForExit(resume)
        #expect(resumed == 0, "\(Self.output(workspace, "resume.out"))\(Self.output(workspace, "resume.err"))")
        #expect(Self.output(workspace, "resume.out").hasPrefix("resuming run \(run)"))
        let store = try workspace.store()
        #expect(try await store.run(run)?.state == .finished)
        try await RunWorkspace.expectOneAuditRecordPerStep(store, run: run)
        try await Self.expectEveryImageCopied(workspace, images)
    }
}
