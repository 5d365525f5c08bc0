import Foundation
import Queue

/// How one attempt at a step ended, as the claim loop learns it.
enum StepAttemptResult: Sendable {
    /// Recorded as final (and audited).
    case finished(StepOutcome, StepReport)
    /// Put back to pending until `at`.
    case retryScheduled(at: Date, error: String)
    /// Cancelled by shutdown; left leased for release.
    case interrupted
    /// Someone else holds the step now; nothing was recorded.
    case leaseLost(String)
    /// The store could not record the result.
    case storeFailed(any Error)
}

extension Runner {
    /// Runs one attempt and records its result in the store.
    func attempt(
        _ step: ClaimedStep, shutdown: ShutdownTrigger, wakes: RunnerWakes
    ) async -> StepAttemptResult {
        let stepLogger = logger.with("run.id", "\(step.runID)").with("step.id", "\(step.id)")
            .with("step.kind", step.kind.rawValue).with("step.job", step.jobID).with("step.attempt", "\(step.attempts)")
        let store = store
        let runID = step.runID
        let context = StepContext(
            logger: stepLogger, clock: clock, runID: runID, shutdown: shutdown, counters: counters,
            insert: { steps in
                let ids = try await store.insertSteps(steps, into: runID)
                wakes.yield(.stepsInserted)
                return ids
            })
        let execution: StepExecution
        do {
            guard let executor = executors[step.kind] else {
                throw StepRefusal("this ocibatch has no executor for \(step.kind.rawValue) steps")
            }
            execution = try await executor.execute(step, context: context)
        } catch {
            // A cancelled attempt is not a failure of the step: it is released and runs again.
            if Task.isCancelled { return .interrupted }
            return await recordFailure(error, of: step, logger: stepLogger)
        }
        return await record(step) {
            try await store.complete(step.lease, outcome: execution.outcome, report: execution.report)
            stepLogger.debug("step \(execution.outcome.rawValue)")
            return .finished(execution.outcome, execution.report)
        }
    }

    private func recordFailure(_ error: any Error, of step: ClaimedStep, logger: EngineLogger) async
        -> StepAttemptResult
    {
        let message = String(describing: error)
        switch classifier.classify(error) {
        case .retryable(let retryAfter) where step.hasAttemptsLeft:
            let delay = configuration.retryPolicy.delay(
                afterAttempt: step.attempts, retryAfter: retryAfter, unitRandom: unitRandom())
            let at = clock.now.adding(delay)
            return await record(step) {
                try await store.retryLater(step.lease, error: message, at: at)
                logger.info("attempt \(step.attempts) of \(step.maxAttempts) failed; retrying in \(delay): \(message)")
                return .retryScheduled(at: at, error: message)
            }
        case .retryable:
            let report = StepReport(error: "gave up after \(step.attempts) attempts: \(message)")
            return await record(step) {
                try await store.complete(step.lease, outcome: .dead, report: report)
                logger.error("step is dead: \(message)")
                return .finished(.dead, report)
            }
        case .permanent:
            let report = StepReport(error: message)
            return await record(step) {
                try await store.complete(step.lease, outcome: .failed, report: report)
                logger.error("step failed: \(message)")
                return .finished(.failed, report)
            }
        }
    }

    /// Runs a store write, turning a lost lease into `.leaseLost` and other errors into `.storeFailed`.
    private func record(
        _ step: ClaimedStep, _ write: () async throws -> StepAttemptResult
    ) async -> StepAttemptResult {
        do {
            return try await write()
        } catch let error as QueueError where error.code == .leaseLost {
            logger.warning("\(error)", ["step.id": "\(step.id)"])
            return .leaseLost(error.message)
        } catch {
            return .storeFailed(error)
        }
    }
}
