import Foundation
import OCI
import Queue

/// `ocibatch runs`: every run in the database, newest last.
enum RunsCommand {
    static let subcommand = Subcommand(
        name: "runs",
        summary: "List the runs recorded in the database.",
        usage: "runs [--format table|json|csv] [--db PATH]",
        details: """
            Shows each run's id, plan, state, start and end, its steps by state, and the blob bytes its push
            steps moved (json: bytesMoved; csv: a number of bytes).
            """,
        arguments: ArgumentSpec(
            options: [
                .init(name: "format", kind: .value, valueName: "FORMAT", help: "table (default), json or csv"),
                DatabaseOption.option,
            ]),
        run: { arguments, context in
            let format = try ListFormat(arguments)
            let store = try DatabaseOption.openExisting(arguments, context: context)
            var rows: [[String]] = []
            var objects: [JSONObject] = []
            for run in try await store.runs() {
                let progress = try await store.progress(run: run.id)
                let started = TimeArgument.format(run.createdAt)
                let finished = run.finishedAt.map(TimeArgument.format)
                let moved = try await bytesMoved(run: run.id, store: store)
                rows.append([
                    "\(run.id)", run.planName, run.state.rawValue, started, finished ?? "", "\(progress.total)",
                    StatusCommand.countsSummary(progress), format == .csv ? "\(moved)" : ByteCount.format(moved),
                ])
                objects.append([
                    "run": .integer(run.id.rawValue), "plan": .string(run.planName),
                    "state": .string(run.state.rawValue),
                    "startedAt": .string(started), "finishedAt": finished.map(JSONValue.string) ?? .null,
                    "steps": .integer(progress.total), "bytesMoved": .integer(moved),
                    "byState": .object(
                        JSONObject(StepState.allCases.map { ($0.rawValue, JSONValue.integer(progress.count($0))) })),
                ])
            }
            let columns = ["run", "plan", "state", "started", "finished", "steps", "by state", "moved"]
            switch format {
            case .table: context.print(TableRenderer(columns: columns).render(rows))
            case .csv:
                context.print(CSV.line(columns))
                for row in rows { context.print(CSV.line(row)) }
            case .json:
                for object in objects { context.print(object.line) }
            }
            return ExitStatus.success
        }
    )

    /// Blob bytes the run's push steps sent, summed from their audit details (`bytesMoved`).
    static func bytesMoved(run: RunID, store: any QueueStore) async throws -> Int64 {
        var total: Int64 = 0
        for record in try await store.audit(AuditFilter(run: run, op: .push)) {
            guard let details = record.details, let parsed = try? JSONValue.parse(details, subject: "audit details"),
                let value = parsed["bytesMoved"]?.numberValue,
                let bytes = Int64(value.literal)
            else { continue }
            total += bytes
        }
        return total
    }
}

/// `ocibatch status`: a run's progress by job and state, and its failed steps.
enum StatusCommand {
    static let subcommand = Subcommand(
        name: "status",
        summary: "Show a run's progress by job and state (the newest run by default).",
        usage: "status [--run ID] [--format table|json] [--db PATH]",
        details: "Lists each job's steps by state, then every failed or dead step with its error and attempts.",
        arguments: ArgumentSpec(
            options: [
                .init(name: "run", kind: .value, valueName: "ID", help: "the run to show (default: the newest)"),
                OutputFormat.option,
                DatabaseOption.option,
            ]),
        run: { arguments, context in
            let format = try OutputFormat(arguments)
            let store = try DatabaseOption.openExisting(arguments, context: context)
            let run: RunRecord
            if let text = arguments.value("run") {
                guard let id = Int64(text), let found = try await store.run(RunID(rawValue: id)) else {
                    throw UsageError("--run \(text): no such run (see 'ocibatch runs')")
                }
                run = found
            } else {
                guard let newest = try await store.runs().last else {
                    throw UsageError("the database has no runs yet")
                }
                run = newest
            }
            let progress = try await store.progress(run: run.id)
            let failed = try await store.steps(run: run.id).filter { $0.state == .failed || $0.state == .dead }
            switch format {
            case .json:
                let jobs = progress.jobs.map { job -> JSONValue in
                    .object(
                        JSONObject(
                            [("job", JSONValue.string(job.jobID))]
                                + StepState.allCases.map { ($0.rawValue, JSONValue.integer(job.count($0))) }))
                }
                let failures = failed.map { step -> JSONValue in
                    .object([
                        "step": .integer(step.id.rawValue), "job": .string(step.jobID),
                        "op": .string(step.kind.rawValue),
                        "state": .string(step.state.rawValue), "attempts": .integer(step.attempts),
                        "target": step.target.map(JSONValue.string) ?? .null,
                        "error": step.lastError.map(JSONValue.string) ?? .null,
                    ])
                }
                let object: JSONObject = [
                    "run": .integer(run.id.rawValue), "plan": .string(run.planName),
                    "state": .string(run.state.rawValue),
                    "jobs": .array(jobs), "failed": .array(failures),
                ]
                context.print(object.line)
            case .table:
                context.print(
                    "Run \(run.id) of plan '\(run.planName)': \(run.state.rawValue), started \(TimeArgument.format(run.createdAt))"
                )
                let rows = progress.jobs.map { job in
                    [job.jobID] + StepState.allCases.map { "\(job.count($0))" } + ["\(job.total)"]
                }
                context.print(
                    TableRenderer(columns: ["job"] + StepState.allCases.map(\.rawValue) + ["total"]).render(rows))
                if !failed.isEmpty {
                    context.print("")
                    context.print("Failed steps:")
                    let failedRows = failed.map { step in
                        [
                            "\(step.id)", step.jobID, step.kind.rawValue, step.state.rawValue, "\(step.attempts)",
                            step.target ?? step.source ?? "", step.lastError ?? "",
                        ]
                    }
                    context.print(
                        TableRenderer(columns: ["step", "job", "op", "state", "tries", "image", "error"]).render(
                            failedRows))
                }
            }
            return ExitStatus.success
        }
    )

    /// `3 succeeded, 1 failed`: the non-zero states of a run.
    static func countsSummary(_ progress: RunProgress) -> String {
        StepState.allCases.compactMap { state in
            let count = progress.count(state)
            return count == 0 ? nil : "\(count) \(state.rawValue)"
        }.joined(separator: ", ")
    }
}
