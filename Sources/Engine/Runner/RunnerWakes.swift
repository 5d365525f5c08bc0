import Foundation

/// Why the claim loop should look at the queue again.
enum RunnerWake: Sendable {
    case finished(StepInfo, StepAttemptResult)
    case timer(Date)
    case stepsInserted
    case shutdown(ShutdownLevel)
    case graceExpired
}

/// The claim loop's inbox: workers, timers and shutdown post to it from any task, and the loop
/// takes one wake at a time.
///
/// Unlike `AsyncStream`, waiting here does not end when the task is cancelled: a cancelled runner
/// must still hear how its cancelled steps ended before it releases them.
final class RunnerWakes: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var buffered: [RunnerWake] = []
    private var waiter: CheckedContinuation<RunnerWake, Never>?

    func yield(_ wake: RunnerWake) {
        let waiting: CheckedContinuation<RunnerWake, Never>? = lock.withLock {
            if let waiter {
                self.waiter = nil
                return waiter
            }
            buffered.append(wake)
            return nil
        }
        waiting?.resume(returning: wake)
    }

    /// The oldest wake, waiting for one if there is none. Only the claim loop calls this.
    func next() async -> RunnerWake {
        await withCheckedContinuation { continuation in
            let ready: RunnerWake? = lock.withLock {
                guard !buffered.isEmpty else {
                    waiter = continuation
                    return nil
                }
                return buffered.removeFirst()
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
