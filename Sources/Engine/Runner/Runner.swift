import Foundation
import Queue

/// Runs the steps of a run with a pool of workers until none is left, a shutdown stops it, or the
/// store fails.
///
/// It keeps `workers` steps in flight: a claim loop leases up to the free slots, executors run in
/// a task group, and the loop wakes when a step finishes, when the queue says the next step becomes
/// claimable (a due retry, an expiring lease), or on shutdown — never by polling in a tight loop.
/// A background task renews the leases of running steps. Failed attempts are retried with
/// backoff while the error is retryable and attempts remain; the step is then `dead`. A
/// non-retryable error makes it `failed`. The store fails every step that depends on either.
public struct Runner: Sendable {
    public let store: any QueueStore
    public let executors: StepExecutors
    public let configuration: RunnerConfiguration
    /// Must be the clock the store stamps its times with.
    public let clock: any RunnerClock
    public let logger: EngineLogger
    public let classifier: StepFailureClassifier
    /// Live totals, for a progress display.
    public let counters: RunCounters
    /// Returns a random number in 0...1 for backoff jitter.
    let unitRandom: @Sendable () -> Double
    /// Told how long each claim took; the queue benchmark listens.
    var claimObserver: (@Sendable (Duration) -> Void)?

    public init(
        store: any QueueStore, executors: StepExecutors, configuration: RunnerConfiguration = RunnerConfiguration(),
        clock: any RunnerClock = SystemRunnerClock(), logger: EngineLogger = .discarding,
        classifier: StepFailureClassifier = .standard, counters: RunCounters = RunCounters(),
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.store = store
        self.executors = executors
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.classifier = classifier
        self.counters = counters
        self.unitRandom = unitRandom
    }

    /// Works on `runID` until it is done (`finished` or `failed`) or stopped.
    ///
    /// On the first `shutdown` request it stops claiming and gives running steps the grace period
    /// to finish; on a second request, when the grace period ends, or when this task is cancelled,
    /// running steps are cancelled. Steps still held are then released (their interrupted attempt
    /// not counted) and the run is marked `interrupted`, and the outcome is `.interrupted`.
    /// Events go to `events`, which is finished when this returns. Throws when the store fails.
    public func run(
        _ runID: RunID, shutdown: ShutdownTrigger = ShutdownTrigger(),
        events: AsyncStream<RunnerEvent>.Continuation? = nil
    ) async throws -> RunSummary {
        defer { events?.finish() }
        let started = ContinuousClock.now
        let wakes = RunnerWakes()
        let observer = shutdown.addObserver { wakes.yield(.shutdown($0)) }
        defer { shutdown.removeObserver(observer) }
        var loop = ClaimLoop(runner: self, runID: runID, shutdown: shutdown, events: events, wakes: wakes)
        // Cancelling this task is an immediate shutdown: running steps are cancelled, and the loop
        // still hears how each ended, releases what is left and marks the run interrupted.
        let ending = await withTaskCancellationHandler {
            await withDiscardingTaskGroup(returning: ClaimLoop.Ending.self) { group in
                let ending = await loop.run(group: &group)
                group.cancelAll()  // the lease renewer and any armed timer
                return ending
            }
        } onCancel: {
            wakes.yield(.shutdown(.immediate))
        }
        let outcome: RunOutcome
        switch ending {
        case .done(let state):
            outcome = state == .finished ? .finished : .failed
        case .stopped:
            let released = try await store.release(owner: configuration.owner)
            if released > 0 { logger.info("released \(released) unfinished steps", ["run.id": "\(runID)"]) }
            if let state = try await store.finishRunIfDone(runID) {
                outcome = state == .finished ? .finished : .failed
            } else {
                try await store.markRun(runID, as: .interrupted)
                outcome = .interrupted
            }
        case .storeFailed(let error):
            _ = try? await store.release(owner: configuration.owner)
            throw error
        }
        return try await summary(runID, outcome: outcome, elapsed: ContinuousClock.now - started)
    }

    /// `run`, with SIGINT and SIGTERM (or `signals`) requesting the shutdown: the first one
    /// gracefully, the second one immediately. Their default action is ignored until it returns.
    public func runHandlingSignals(
        _ runID: RunID, signals: [Int32] = UnixSignals.shutdownSignals,
        events: AsyncStream<RunnerEvent>.Continuation? = nil
    ) async throws -> RunSummary {
        let shutdown = ShutdownTrigger()
        let received = UnixSignals(signals)  // installed now, before any work starts
        let watcher = Task {
            for await number in received {
                logger.warning("received signal \(number); shutting down")
                shutdown.requestShutdown()
            }
        }
        defer { watcher.cancel() }
        return try await run(runID, shutdown: shutdown, events: events)
    }

    private func summary(_ runID: RunID, outcome: RunOutcome, elapsed: Duration) async throws -> RunSummary {
        let progress = try await store.progress(run: runID)
        let failed = try await store.steps(run: runID).filter { $0.state == .failed || $0.state == .dead }
        return RunSummary(
            runID: runID, outcome: outcome, stepCounts: progress.counts, finishedHere: counters.finishedByOutcome,
            retriesScheduled: counters.retriesScheduled, bytesMoved: counters.bytesMoved, elapsed: elapsed,
            failedSteps: failed.map { step in
                FailedStep(
                    id: step.id, jobID: step.jobID, kind: step.kind, key: step.key,
                    outcome: step.state == .dead ? .dead : .failed, attempts: step.attempts, error: step.lastError)
            })
    }
}
