import Foundation
import Queue

/// The heart of `Runner.run`: claims steps into free slots, starts them, and waits for the next
/// reason to look at the queue again. Only this loop touches its state; workers report back
/// through `RunnerWakes`.
struct ClaimLoop {
    enum Ending {
        /// No step is pending or running; the run ended in this state.
        case done(RunState)
        /// A shutdown or cancellation stopped the loop; steps it held may still be leased.
        case stopped
        /// The store failed; the run cannot go on here.
        case storeFailed(any Error)
    }

    let runner: Runner
    let runID: RunID
    let shutdown: ShutdownTrigger
    let events: AsyncStream<RunnerEvent>.Continuation?
    let wakes: RunnerWakes

    private var running: [StepID: StepInfo] = [:]
    private var stopping = ShutdownLevel.none
    private var storeFailure: (any Error)?
    /// The deadline of the earliest timer that is armed and has not fired.
    private var armedDeadline: Date?

    init(
        runner: Runner, runID: RunID, shutdown: ShutdownTrigger, events: AsyncStream<RunnerEvent>.Continuation?,
        wakes: RunnerWakes
    ) {
        self.runner = runner
        self.runID = runID
        self.shutdown = shutdown
        self.events = events
        self.wakes = wakes
    }

    mutating func run(group: inout DiscardingTaskGroup) async -> Ending {
        stopping = shutdown.level
        startLeaseRenewal(&group)
        while true {
            if stopping == .none && storeFailure == nil {
                do {
                    if let state = try await claimAndStart(&group) { return .done(state) }
                } catch {
                    fail(with: error, &group)
                }
            }
            if stopping != .none || storeFailure != nil, running.isEmpty {
                return storeFailure.map { .storeFailed($0) } ?? .stopped
            }
            handle(await wakes.next(), &group)
        }
    }

    /// Claims into the free slots and starts what it got. When the queue had less to give than
    /// there was room for, ends the run if nothing is left, or else arms a timer for the moment
    /// the next step becomes claimable.
    private mutating func claimAndStart(_ group: inout DiscardingTaskGroup) async throws -> RunState? {
        let configuration = runner.configuration
        let free = configuration.workers - running.count
        guard free > 0 else { return nil }
        let claimStarted = ContinuousClock.now
        let claimed = try await runner.store.claim(
            run: runID, owner: configuration.owner, leaseDuration: configuration.leaseDuration, limit: free)
        runner.claimObserver?(ContinuousClock.now - claimStarted)
        for step in claimed { start(step, &group) }
        guard claimed.count < free else { return nil }
        if running.isEmpty, let state = try await runner.store.finishRunIfDone(runID) { return state }
        let poll = runner.clock.now.adding(configuration.idlePollInterval)
        // A millisecond late, so that the store (which stores milliseconds) agrees it is due.
        let due = try await runner.store.nextClaimableAt(run: runID).map { $0.addingTimeInterval(0.001) }
        arm(min(due ?? poll, poll), &group)
        return nil
    }

    private mutating func start(_ step: ClaimedStep, _ group: inout DiscardingTaskGroup) {
        let info = StepInfo(step)
        running[step.id] = info
        events?.yield(.stepStarted(info))
        let runner = runner
        let shutdown = shutdown
        let wakes = wakes
        group.addTask {
            let result = await runner.attempt(step, shutdown: shutdown, wakes: wakes)
            wakes.yield(.finished(info, result))
        }
    }

    private mutating func arm(_ deadline: Date, _ group: inout DiscardingTaskGroup) {
        // An earlier timer will wake us anyway, and the loop looks at the queue again then.
        if let armed = armedDeadline, armed <= deadline { return }
        armedDeadline = deadline
        let clock = runner.clock
        let wakes = wakes
        group.addTask {
            do {
                try await clock.sleep(until: deadline)
                wakes.yield(.timer(deadline))
            } catch {
                // Cancelled: the loop is over.
            }
        }
    }

    private func startLeaseRenewal(_ group: inout DiscardingTaskGroup) {
        let runner = runner
        let configuration = runner.configuration
        group.addTask {
            while true {
                do {
                    try await runner.clock.sleep(until: runner.clock.now.adding(configuration.leaseRenewalInterval))
                } catch {
                    return
                }
                do {
                    _ = try await runner.store.renewLeases(
                        owner: configuration.owner, duration: configuration.leaseDuration)
                } catch {
                    // The next round tries again; a lease that is really lost shows when the step ends.
                    runner.logger.warning("could not renew leases: \(error)", ["lease.owner": configuration.owner])
                }
            }
        }
    }

    private mutating func handle(_ wakeUp: RunnerWake, _ group: inout DiscardingTaskGroup) {
        switch wakeUp {
        case .finished(let info, let result):
            running[info.id] = nil
            report(info, result)
            if case .storeFailed(let error) = result { fail(with: error, &group) }
        case .timer(let deadline):
            if armedDeadline == deadline { armedDeadline = nil }
        case .stepsInserted:
            break
        case .shutdown(let level):
            guard level > stopping else { return }
            let first = stopping == .none
            stopping = level
            events?.yield(.shutdownRequested(level))
            if level == .immediate {
                runner.logger.warning("cancelling \(running.count) running steps", ["run.id": "\(runID)"])
                group.cancelAll()
            } else if first {
                runner.logger.warning(
                    "shutting down: no new steps; \(running.count) running steps get "
                        + "\(runner.configuration.gracePeriod) to finish", ["run.id": "\(runID)"])
                let grace = runner.configuration.gracePeriod
                let wakes = wakes
                group.addTask {
                    do {
                        try await Task.sleep(for: grace)
                        wakes.yield(.graceExpired)
                    } catch {
                        // Cancelled: everything finished in time.
                    }
                }
            }
        case .graceExpired:
            guard !running.isEmpty else { return }
            runner.logger.warning("grace period over; cancelling \(running.count) running steps")
            group.cancelAll()
        }
    }

    private mutating func fail(with error: any Error, _ group: inout DiscardingTaskGroup) {
        guard storeFailure == nil else { return }
        runner.logger.error("the queue store failed: \(error); stopping", ["run.id": "\(runID)"])
        storeFailure = error
        group.cancelAll()
    }

    private func report(_ info: StepInfo, _ result: StepAttemptResult) {
        switch result {
        case .finished(let outcome, let stepReport):
            runner.counters.recordFinished(outcome)
            events?.yield(.stepFinished(info, outcome: outcome, report: stepReport))
        case .retryScheduled(let at, let error):
            runner.counters.recordRetry()
            events?.yield(.retryScheduled(info, at: at, error: error))
        case .interrupted:
            events?.yield(.stepInterrupted(info))
        case .leaseLost(let message):
            events?.yield(.leaseLost(info, message: message))
        case .storeFailed:
            break
        }
    }
}
