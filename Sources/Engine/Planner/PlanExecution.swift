import Foundation
import ImageTransports
import Queue
import Registry

/// One execution of a plan against a queue: starts (or resumes) its run, queues the root steps,
/// and makes the runner with the executors for every step kind.
///
/// Data flows plan → `Planner` → `QueueStore` → `Runner` → executors → image sources and
/// destinations; executors read earlier steps' results back from the queue.
public struct PlanExecution: Sendable {
    public let plan: Plan
    public let store: any QueueStore
    public let session: RegistrySession
    /// Runs only steps that read (discover, load, mutate); push and delete steps say what they would do.
    public let dryRun: Bool
    /// What executors threw in this process, by step.
    public let errors = StepErrorLog()
    public var planner: Planner { Planner(plan: plan) }

    public init(plan: Plan, store: any QueueStore, session: RegistrySession, dryRun: Bool = false) {
        self.plan = plan
        self.store = store
        self.session = session
        self.dryRun = dryRun
    }

    /// Resumes the unfinished run of this plan (same content hash) unless `forceNew`, or starts a
    /// new one, and queues the root steps (a resumed run already has them; nothing is added twice).
    /// Jobs this version cannot run are refused before anything is written.
    public func start(planJSON: Data, forceNew: Bool = false) async throws -> RunStart {
        let steps = try planner.rootSteps()
        let start = try await store.startRun(
            NewRun(planName: plan.name, planHash: plan.contentHash, planJSON: planJSON), forceNew: forceNew)
        _ = try await store.insertSteps(steps, into: start.run.id)
        return start
    }

    /// Returns to pending the steps of `run` leased by processes of this host that no longer exist
    /// (killed, crashed), so they run now rather than when their leases expire. Leases name their
    /// holder `host:pid:random` (`LeaseOwner`). Returns how many steps were released.
    @discardableResult
    public func reclaimStepsOfDeadProcesses(in run: RunID) async throws -> Int {
        let host = LeaseOwner.unique().split(separator: ":").first.map(String.init) ?? ""
        var owners = Set<String>()
        for step in try await store.steps(run: run) where step.state == .running {
            guard let owner = step.leaseOwner else { continue }
            let parts = owner.split(separator: ":")
            guard parts.count == 3, String(parts[0]) == host, let pid = Int32(parts[1]), pid != getpid() else {
                continue
            }
            // kill(pid, 0) sends nothing; ESRCH means no such process.
            if kill(pid, 0) != 0 && errno == ESRCH { owners.insert(owner) }
        }
        var released = 0
        for owner in owners { released += try await store.release(owner: owner) }
        return released
    }

    /// Queues the root steps into an existing run (`resume`).
    public func queueRootSteps(into run: RunID) async throws {
        _ = try await store.insertSteps(try planner.rootSteps(), into: run)
    }

    /// A runner for this plan: `workers` (else the plan's), the plan's retry policy, and the executors.
    public func runner(
        workers: Int? = nil, counters: RunCounters = RunCounters(), logger: EngineLogger = .discarding,
        gracePeriod: Duration = .seconds(10)
    ) -> Runner {
        let retry = plan.defaults.retry
        let configuration = RunnerConfiguration(
            workers: workers ?? plan.defaults.workers, gracePeriod: gracePeriod,
            retryPolicy: RetryPolicy(
                attempts: retry.attempts, initialDelay: .milliseconds(retry.initialDelay.milliseconds),
                maxDelay: .milliseconds(retry.maxDelay.milliseconds)))
        return Runner(
            store: store, executors: executors(), configuration: configuration, logger: logger,
            classifier: .engine, counters: counters)
    }

    /// The executor for every step kind; in a dry run, push and delete only report.
    public func executors() -> StepExecutors {
        let services = ExecutionServices(session: session, store: store, planner: planner)
        var byKind: [StepKind: any StepExecutor] = [
            .discover: DiscoverExecutor(services: services),
            .load: LoadExecutor(services: services),
            .mutate: MutateExecutor(services: services),
            .push: PushExecutor(services: services),
            .delete: DeleteExecutor(services: services),
        ]
        if dryRun {
            byKind[.push] = DryRunExecutor(services: services)
            byKind[.delete] = DryRunExecutor(services: services)
        }
        return StepExecutors(byKind.mapValues { ErrorRecordingExecutor(wrapped: $0, log: errors) })
    }
}
