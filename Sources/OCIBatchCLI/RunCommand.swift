import Engine
import Foundation
import Queue

/// `ocibatch run PLAN`: expands a plan into the queue and works through it.
enum RunCommand {
    static let subcommand = Subcommand(
        name: "run",
        summary: "Run a plan: queue its steps and work through them with retries, auditing each one.",
        usage: "run PLAN [--db PATH] [--workers N] [--dry-run] [--new-run]",
        details: """
            Validates the plan (exit 2 listing every problem, nothing queued), then resumes the unfinished
            run of the same plan (same content) or starts a new one, and runs its steps with N workers.
            Ctrl-C or SIGTERM stops claiming steps, lets running ones finish for a grace period, and exits
            130; run the plan again or 'ocibatch resume' to continue. On a terminal a live line shows
            progress; otherwise one line per finished step: OUTCOME JOB KIND TARGET DIGEST SIZE.
            --dry-run plans into a temporary database, runs only the steps that read (discover, load,
            mutate) and prints every step that would run, including each tag that would be deleted and
            its digest, and for cleanup jobs the decision table of each repository (tag, digest, created,
            rule, action); nothing is changed anywhere. A cleanup that would delete every tag of a
            repository without "allowEmpty": true fails its job with the reason (exit 1). Exit 0 when
            every step succeeded or was skipped, 1 when some step failed or is dead.
            """,
        arguments: ArgumentSpec(
            options: [
                DatabaseOption.option, RunSession.workersOption,
                .init(name: "dry-run", kind: .flag, valueName: "", help: "show what would run; change nothing"),
                .init(name: "new-run", kind: .flag, valueName: "", help: "start a new run even if one is unfinished"),
            ],
            positionals: ["PLAN"]),
        run: { arguments, context in
            let path = context.resolve(arguments.positionals[0])
            let workers = try RunSession.workers(arguments)
            let plan = try PlanLoader.load(path: path, homeDirectory: context.homeDirectory)
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let stored = try StoredPlan.envelope(planData: data, planFile: path, baseDirectory: plan.baseDirectory)
            if arguments.has("dry-run") {
                return try await dryRun(plan, planJSON: stored, workers: workers, context: context)
            }
            let store = try DatabaseOption.open(arguments, context: context)
            let session = try RunSession(plan: plan, store: store, context: context)
            let start = try await session.execution.start(planJSON: stored, forceNew: arguments.has("new-run"))
            context.print(start.resumed ? "resuming run \(start.run.id)" : "run \(start.run.id)")
            let summary = try await session.run(
                start.run.id, workers: workers, reporter: ProgressReporter.choose(for: context))
            RunSession.printSummary(summary, arguments: arguments, context: context)
            return summary.outcome.exitStatus
        }
    )

    /// Plans into a scratch database, runs the steps that only read, and lists every step.
    static func dryRun(_ plan: Plan, planJSON: Data, workers: Int?, context: CommandContext) async throws -> Int32 {
        let scratch = try ScratchDatabase()
        let store = try SQLiteQueueStore(path: scratch.path)
        let session = try RunSession(plan: plan, store: store, context: context, dryRun: true)
        let start = try await session.execution.start(planJSON: planJSON, forceNew: true)
        let summary = try await session.run(start.run.id, workers: workers, reporter: .quiet)
        context.print("dry run of plan '\(plan.name)': nothing was changed")
        try await printCleanupDecisions(
            run: start.run.id, store: store, errors: session.execution.errors, context: context)
        for record in try await store.audit(AuditFilter(run: start.run.id)) {
            let subject = record.target ?? record.source ?? "-"
            let note = record.error.map { "  \($0)" } ?? ""
            context.print(
                "\(record.outcome.rawValue) \(record.jobID) \(record.op) \(subject) \(record.digest ?? "-")"
                    + " \(record.size.map(String.init) ?? "-")\(note)")
        }
        RunSession.printSummary(summary, arguments: nil, context: context)
        return summary.outcome.exitStatus
    }
}

extension RunCommand {
    /// The decision table of every repository a cleanup job planned, and of each it refused to empty.
    static func printCleanupDecisions(
        run: RunID, store: any QueueStore, errors: StepErrorLog, context: CommandContext
    ) async throws {
        for step in try await store.steps(run: run) where step.kind == .discover {
            if let refusal = errors.error(for: step.id) as? CleanupRefusal {
                context.print(CleanupDecisionTable.render(refusal.decision))
                context.print("refused: \(refusal)")
                context.print("")
            } else if let data = step.result,
                let cleanup = try? StepJSON.decode(DiscoverResult.self, from: data, what: "a discover result").cleanup
            {
                context.print(CleanupDecisionTable.render(cleanup))
                context.print("")
            }
        }
    }
}

/// `ocibatch resume`: continues an unfinished run from the plan stored with it.
enum ResumeCommand {
    static let subcommand = Subcommand(
        name: "resume",
        summary: "Continue an interrupted or unfinished run (the newest one by default).",
        usage: "resume [--run ID] [--db PATH] [--workers N]",
        details: """
            Reads the run's plan from the database (relative paths resolve as they did when it was
            first run) and continues it: finished steps are not run again. Exit codes as for 'run'.
            """,
        arguments: ArgumentSpec(
            options: [
                .init(name: "run", kind: .value, valueName: "ID", help: "the run to continue"),
                DatabaseOption.option, RunSession.workersOption,
            ]),
        run: { arguments, context in
            let workers = try RunSession.workers(arguments)
            let store = try DatabaseOption.openExisting(arguments, context: context)
            let record: RunRecord
            if let text = arguments.value("run") {
                guard let number = Int64(text), let found = try await store.run(RunID(rawValue: number)) else {
                    throw UsageError(
                        "--run \(text): there is no such run in \(DatabaseOption.path(arguments, context: context))")
                }
                record = found
            } else {
                guard let found = try await store.unfinishedRun(planHash: nil) else {
                    context.print("no unfinished run to resume")
                    return ExitStatus.success
                }
                record = found
            }
            guard record.state.isResumable else {
                context.print("run \(record.id) is \(record.state.rawValue); nothing to resume")
                return record.state == .finished ? ExitStatus.success : ExitStatus.operationFailed
            }
            let plan = try StoredPlan.plan(of: record, homeDirectory: context.homeDirectory)
            let session = try RunSession(plan: plan, store: store, context: context)
            try await store.markRun(record.id, as: .running)
            try await session.execution.queueRootSteps(into: record.id)
            context.print("resuming run \(record.id)")
            let summary = try await session.run(
                record.id, workers: workers, reporter: ProgressReporter.choose(for: context))
            RunSession.printSummary(summary, arguments: arguments, context: context)
            return summary.outcome.exitStatus
        }
    )
}

/// `ocibatch bench-queue`: measures the queue and runner alone with no-op steps.
enum BenchQueueCommand {
    static let subcommand = Subcommand(
        name: "bench-queue",
        summary: "Measure the queue: no-op steps per second and claim latency.",
        usage: "bench-queue [--steps N] [--workers N]",
        details: "Runs N no-op steps (default 10000) through a temporary SQLite queue; nothing else is touched.",
        arguments: ArgumentSpec(
            options: [
                .init(name: "steps", kind: .value, valueName: "N", help: "steps to run (default 10000)"),
                .init(name: "workers", kind: .value, valueName: "N", help: "workers (default 16)"),
            ]),
        run: { arguments, context in
            func number(_ name: String, default value: Int) throws -> Int {
                guard let text = arguments.value(name) else { return value }
                guard let number = Int(text), number > 0 else {
                    throw UsageError("--\(name) \(text): expected a positive number")
                }
                return number
            }
            let result = try await QueueBenchmark.run(
                steps: try number("steps", default: 10_000), workers: try number("workers", default: 16))
            func milliseconds(_ duration: Duration) -> String {
                String(
                    format: "%.2f ms",
                    Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000)
            }
            context.print(
                "\(result.steps) no-op steps with \(result.workers) workers: "
                    + String(format: "%.0f steps/s", result.stepsPerSecond))
            let latency = result.claimLatency
            context.print(
                "claim latency over \(latency.count) claims: p50 \(milliseconds(latency.p50)), p90 \(milliseconds(latency.p90)), "
                    + "p99 \(milliseconds(latency.p99)), max \(milliseconds(latency.max))")
            return ExitStatus.success
        }
    )
}
