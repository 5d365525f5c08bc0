import Engine
import Foundation
import OCI
import Queue
import TestSupport
import Testing

/// A scratch directory with a database, and the example plans rewritten for the test registries.
struct RunWorkspace {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    /// The binary `swift build` made, for tests that kill it.
    static let binary = repositoryRoot + "/.build/debug/ocibatch"

    let scratch: LayoutScratchDirectory
    let registry: String
    let secondRegistry: String
    /// Replaces `examples` in repository names, so each test has its own repositories.
    let prefix: String
    var database: String { scratch.join("ocibatch.db") }

    init() throws {
        scratch = try LayoutScratchDirectory()
        registry = try TestServices.plainRegistry
        secondRegistry = try TestServices.secondPlainRegistry
        prefix = "run-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Writes `plans/NAME` with the test registries and this workspace's repositories, next to a
    /// copy of `plans/example-layout`; returns its path.
    func examplePlan(_ name: String) throws -> String {
        let layout = scratch.join("example-layout")
        if !FileManager.default.fileExists(atPath: layout) {
            try FileManager.default.copyItem(atPath: Self.repositoryRoot + "/plans/example-layout", toPath: layout)
        }
        let text = try String(contentsOfFile: Self.repositoryRoot + "/plans/" + name, encoding: .utf8)
            .replacingOccurrences(of: "127.0.0.1:5000", with: registry)
            .replacingOccurrences(of: "127.0.0.1:5001", with: secondRegistry)
            .replacingOccurrences(of: "/examples/", with: "/\(prefix)/")
        return try write(name, text)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = scratch.join(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `ocibatch ARGS --db DATABASE`, in process.
    func ocibatch(_ arguments: [String]) async -> CommandResult {
        await runCommand(arguments + ["--db", database], in: scratch.path)
    }

    func store() throws -> SQLiteQueueStore { try SQLiteQueueStore(path: database) }

    /// The digest of the manifest `reference` names now, as skopeo reads it; nil when it is not there.
    static func skopeoDigest(_ reference: String) async throws -> Digest? {
        let output = try await TestProcess.run(
            try TestProcess.locate("skopeo"), ["inspect", "--raw", "--tls-verify=false", "docker://" + reference])
        return output.status == 0 ? Digest.sha256(output.stdout) : nil
    }

    /// The run number in the first line of `run`'s output (`run 3` or `resuming run 3`).
    static func runID(_ output: String) throws -> RunID {
        let first = output.split(separator: "\n").first.map(String.init) ?? ""
        let number = try #require(first.split(separator: " ").last.flatMap { Int64($0) }, "no run number in \(output)")
        return RunID(rawValue: number)
    }

    /// Checks the audit of `run`: exactly one record per step, each matching its step's outcome,
    /// digest and target.
    static func expectOneAuditRecordPerStep(_ store: SQLiteQueueStore, run: RunID) async throws {
        let steps = try await store.steps(run: run)
        let audit = try await store.audit(AuditFilter(run: run))
        #expect(audit.count == steps.count, "\(audit.count) audit records for \(steps.count) steps")
        #expect(Set(audit.compactMap(\.stepID)).count == audit.count)
        for step in steps {
            guard let record = audit.first(where: { $0.stepID == step.id }) else {
                Issue.record("step \(step.id) (\(step.key)) has no audit record")
                continue
            }
            #expect(record.outcome.state == step.state)
            #expect(record.op == step.kind.rawValue)
            #expect(record.digest == step.digest)
            #expect(record.target == step.target)
            #expect(record.jobID == step.jobID)
        }
    }
}

/// Pushes test images to a registry with skopeo.
enum ExecutorPush {
    /// Pushes `image` to `reference` from a layout in `scratch`.
    static func push(_ image: OCITestImage, to reference: String, scratch: LayoutScratchDirectory) async throws {
        let layout = scratch.join("push-\(image.rootDigest.encoded.prefix(12))")
        if !FileManager.default.fileExists(atPath: layout) {
            try LayoutFixtures.writeLayout([.init(image, refName: "x")], to: layout)
        }
        _ = try await TestProcess.runChecked(
            try TestProcess.locate("skopeo"),
            ["copy", "--dest-tls-verify=false", "oci:\(layout):x", "docker://\(reference)"])
    }
}
