import Engine
import Foundation
import Queue

/// A plan of one job that a command (`copy`, `delete`) makes from its arguments and runs through
/// the queue, so that it is retried and audited like any plan. Registry flags become the plan's
/// defaults; locations are absolute, so the same command in another directory is another plan.
struct OneJobPlan {
    let plan: Plan
    let planJSON: Data
    let arguments: ParsedArguments
    let context: CommandContext

    /// What the run left: its steps, and the first error an executor threw here (for the exit status).
    struct Outcome {
        var runID: RunID
        var summary: RunSummary
        var steps: [StepRecord]
        var errors: StepErrorLog
    }

    init(name: String, job: [String: Any], arguments: ParsedArguments, context: CommandContext) throws {
        for host in arguments.all("insecure-registry") { try RegistryOptions.checkRegistryName(host) }
        var defaults: [String: Any] = ["insecureRegistries": arguments.all("insecure-registry")]
        if let path = arguments.value("docker-config") { defaults["dockerConfig"] = context.resolve(path) }
        if let path = arguments.value("ca-file") {
            let caFile = context.resolve(path)
            try RegistryOptions.checkCAFile(caFile)
            defaults["caFile"] = caFile
        }
        let document: [String: Any] = ["version": 1, "name": name, "defaults": defaults, "jobs": [job]]
        let data = try JSONSerialization.data(
            withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        let validator = PlanValidator(baseDirectory: context.workingDirectory, homeDirectory: context.homeDirectory)
        plan = try PlanLoader.load(data: data, source: "the arguments", validator: validator)
        planJSON = try StoredPlan.envelope(
            planData: data, planFile: "ocibatch \(name)", baseDirectory: context.workingDirectory)
        self.arguments = arguments
        self.context = context
    }

    /// Runs the plan in the user's database, or in a scratch one for a dry run.
    func run(dryRun: Bool = false) async throws -> Outcome {
        let scratch = dryRun ? try ScratchDatabase() : nil
        let store =
            if let scratch { try SQLiteQueueStore(path: scratch.path) } else {
                try DatabaseOption.open(arguments, context: context)
            }
        let session = try RunSession(plan: plan, store: store, context: context, dryRun: dryRun)
        let start = try await session.execution.start(planJSON: planJSON, forceNew: dryRun)
        let summary = try await session.run(start.run.id, workers: nil, reporter: .quiet)
        let steps = try await store.steps(run: start.run.id)
        return Outcome(runID: start.run.id, summary: summary, steps: steps, errors: session.execution.errors)
    }
}

extension OneJobPlan.Outcome {
    /// Why `step` failed: the error its executor threw here (so the exit status fits it), else the
    /// error the queue recorded (a dependency that failed, an attempt in an earlier process).
    func failure(of step: StepRecord) -> any Error {
        if let error = errors.error(for: step.id) { return error }
        if let dependency = step.dependsOn.first(where: { id in steps.contains { $0.id == id && !$0.state.letsRun } }),
            let record = steps.first(where: { $0.id == dependency })
        {
            return failure(of: record)
        }
        return StepFailed(message: step.lastError ?? "step \(step.id) (\(step.kind.rawValue)) \(step.state.rawValue)")
    }

    /// The failure to report when `step` did not finish well, or nil when it did.
    func failureIfAny(of step: StepRecord) -> (any Error)? {
        step.state.letsRun ? nil : failure(of: step)
    }
}

extension StepState {
    /// Succeeded or skipped: what lets dependants run.
    var letsRun: Bool { self == .succeeded || self == .skipped }
}

/// A step of a one-job command that failed in a way only its recorded message tells.
struct StepFailed: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
