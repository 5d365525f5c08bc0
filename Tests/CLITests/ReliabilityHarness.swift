import Foundation
import OCI
import Queue
import TestSupport
import Testing

/// What the built binary printed and how it ended.
struct BinaryResult {
    let status: Int32
    let stdout: String
    let stderr: String
    var output: String { stdout + stderr }
}

/// Helpers shared by the reliability tests: the built binary, seeded source images, the audit as
/// `ocibatch audit --format json` prints it, and the database's own integrity check.
enum Reliability {
    /// Runs the built binary to its end with `--db database`; `environment` is added to the test's.
    static func binary(_ arguments: [String], database: String, environment: [String: String] = [:]) async throws
        -> BinaryResult
    {
        guard FileManager.default.isExecutableFile(atPath: RunWorkspace.binary) else {
            throw TestServicesError("\(RunWorkspace.binary) is missing; run 'swift build' first")
        }
        let output = try await TestProcess.run(
            RunWorkspace.binary, arguments + ["--db", database], environment: environment)
        return BinaryResult(
            status: output.status, stdout: String(decoding: output.stdout, as: UTF8.self),
            stderr: String(decoding: output.stderr, as: UTF8.self))
    }

    /// Writes one OCI layout per repository under `workspace`, each image tagged by its key, and
    /// pushes them to `registry/prefix/REPOSITORY` with an in-process plan.
    static func seed(
        _ repositories: [String: [String: OCITestImage]], workspace: RunWorkspace, registry: String
    ) async throws {
        var jobs: [String] = []
        for (repository, images) in repositories.sorted(by: { $0.key < $1.key }) {
            let layout = "seed-" + repository.replacingOccurrences(of: "/", with: "-")
            try LayoutFixtures.writeLayout(
                images.sorted { $0.key < $1.key }.map { .init($0.value, refName: $0.key) },
                to: workspace.scratch.join(layout))
            jobs.append(
                #"{"id": "\#(layout)", "copy": {"from": "oci:./\#(layout)", "to": "\#(registry)/\#(workspace.prefix)/\#(repository)"}}"#
            )
        }
        let plan = try workspace.write(
            "seed.json",
            """
            {"version": 1, "name": "seed-\(workspace.prefix)", "defaults": {"insecureRegistries": ["\(registry)"]},
             "jobs": [\(jobs.joined(separator: ", "))]}
            """)
        let result = await runCommand(
            ["run", plan, "--db", workspace.scratch.join("seed.db")], in: workspace.scratch.path)
        try #require(result.status == 0, "seeding \(registry) failed: \(result.stdout)\(result.stderr)")
    }

    /// The records of `run` as `ocibatch audit --run N --format json` prints them, one object a line.
    static func auditJSON(_ workspace: RunWorkspace, run: RunID) async throws -> [JSONValue] {
        let result = await workspace.ocibatch(["audit", "--run", "\(run.rawValue)", "--format", "json"])
        try #require(result.status == 0, "audit failed: \(result.stderr)")
        return try result.stdout.split(separator: "\n").map { try JSONValue.parse(Data($0.utf8)) }
    }

    /// `PRAGMA integrity_check` by the sqlite3 program: "ok" when the file is a sound database.
    static func integrityCheck(_ database: String) async throws -> String {
        let output = try await TestProcess.run(
            try TestProcess.locate("sqlite3"), [database, "PRAGMA integrity_check;"])
        let text = String(decoding: output.stdout + output.stderr, as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A docker config file `name` in the workspace with one `auths` entry for `registry`.
    static func dockerConfig(_ workspace: RunWorkspace, _ name: String, registry: String, entry: String) throws
        -> String
    {
        try workspace.write(name, #"{"auths": {"\#(registry)": {\#(entry)}}}"#)
    }

    /// The audit records and steps of every run in the database at `path`.
    static func everyRecord(_ path: String) async throws -> (audit: [AuditRecord], steps: [StepRecord]) {
        let store = try SQLiteQueueStore(path: path)
        var audit: [AuditRecord] = []
        var steps: [StepRecord] = []
        for run in try await store.runs() {
            audit += try await store.audit(AuditFilter(run: run.id))
            steps += try await store.steps(run: run.id)
        }
        return (audit, steps)
    }
}
