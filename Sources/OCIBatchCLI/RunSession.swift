import Engine
import Foundation
import Queue
import Registry

/// One plan executed through the queue: what `run`, `resume`, `copy` and `delete` share.
///
/// Opens the registry session the plan's settings describe (shut down when the command ends),
/// starts or resumes the run, queues the root steps and runs them with signal handling, reporting
/// as it goes through a `ProgressReporter`.
struct RunSession {
    let execution: PlanExecution
    let context: CommandContext

    init(plan: Plan, store: any QueueStore, context: CommandContext, dryRun: Bool = false) throws {
        let session = RegistrySession(
            configuration: try RegistryConfiguration.forPlan(plan, environment: context.environment))
        context.atEnd { session.http.shutdown() }
        execution = PlanExecution(plan: plan, store: store, session: session, dryRun: dryRun)
        self.context = context
    }

    /// Runs `runID` until it is done or interrupted; `reporter` hears every event.
    func run(_ runID: RunID, workers: Int?, reporter: ProgressReporter) async throws -> RunSummary {
        let reclaimed = try await execution.reclaimStepsOfDeadProcesses(in: runID)
        if reclaimed > 0 {
            context.printError("took back \(reclaimed) step\(reclaimed == 1 ? "" : "s") from a process that is gone")
        }
        let counters = RunCounters()
        let runner = execution.runner(workers: workers, counters: counters)
        let (events, continuation) = AsyncStream.makeStream(of: RunnerEvent.self)
        let listener = Task { await reporter.follow(events, run: runID, store: execution.store, counters: counters) }
        let summary: RunSummary
        do {
            summary = try await runner.runHandlingSignals(runID, events: continuation)
        } catch {
            continuation.finish()
            await listener.value
            throw error
        }
        await listener.value
        return summary
    }

    /// Prints the summary of a run and, when steps failed, each of them and where to look.
    /// `arguments` nil: a dry run, whose scratch database is gone, so no command is suggested.
    static func printSummary(_ summary: RunSummary, arguments: ParsedArguments?, context: CommandContext) {
        // The commands suggested below must look in the same database as this run did.
        let db =
            arguments.flatMap { arguments in
                arguments.value("db").map { _ in " --db " + DatabaseOption.path(arguments, context: context) }
            } ?? ""
        let counts = [StepState.succeeded, .skipped, .failed, .dead].map { "\(summary.count($0)) \($0.rawValue)" }
        let seconds =
            Double(summary.elapsed.components.seconds)
            + Double(summary.elapsed.components.attoseconds) / 1e18
        let verb =
            switch summary.outcome {
            case .finished: "finished"
            case .failed: "finished with failures"
            case .interrupted: "interrupted"
            }
        context.print(
            (arguments == nil ? "dry run \(verb)" : "run \(summary.runID) \(verb)")
                + ": \(counts.joined(separator: ", ")); "
                + "\(ByteCount.format(summary.bytesMoved)) moved in \(String(format: "%.1f", seconds)) s")
        if summary.outcome == .interrupted, arguments != nil {
            context.printError(
                "ocibatch: run \(summary.runID) was interrupted; continue it with 'ocibatch resume --run \(summary.runID)\(db)'"
                    + " or by running the plan again")
        }
        guard !summary.failedSteps.isEmpty else { return }
        context.printError("failed steps:")
        for step in summary.failedSteps {
            context.printError(
                "  step \(step.id) \(step.kind.rawValue) (job \(step.jobID)) \(step.outcome.rawValue) after "
                    + "\(step.attempts) attempt\(step.attempts == 1 ? "" : "s"): \(step.error ?? "no error recorded")")
        }
        guard arguments != nil else { return }
        context.printError(
            "see 'ocibatch status --run \(summary.runID)\(db)' and "
                + "'ocibatch audit --run \(summary.runID) --outcome failed\(db)'")
    }

    /// The `--workers` flag, 1…256.
    static func workers(_ arguments: ParsedArguments) throws -> Int? {
        guard let text = arguments.value("workers") else { return nil }
        guard let workers = Int(text), (1...256).contains(workers) else {
            throw UsageError("--workers \(text): expected a number from 1 to 256")
        }
        return workers
    }

    static let workersOption = ArgumentSpec.Option(
        name: "workers", kind: .value, valueName: "N", help: "steps in flight at once (default: the plan's, else 8)")
}

/// A temporary database for dry runs and one-off plans that must leave the user's alone.
final class ScratchDatabase {
    let directory: String
    var path: String { directory + "/dry-run.db" }

    init() throws {
        directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("ocibatch-dry-run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

/// Byte counts for people: `1.5 MiB`.
enum ByteCount {
    static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
