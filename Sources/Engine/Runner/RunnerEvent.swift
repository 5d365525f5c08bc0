import Foundation
import Queue

/// Which step an event is about.
public struct StepInfo: Sendable, Equatable {
    public var id: StepID
    public var jobID: String
    public var kind: StepKind
    public var key: String
    /// The attempt's number, from 1.
    public var attempt: Int
    public var maxAttempts: Int
    public var source: String?
    public var target: String?

    init(_ step: ClaimedStep) {
        id = step.id
        jobID = step.jobID
        kind = step.kind
        key = step.key
        attempt = step.attempts
        maxAttempts = step.maxAttempts
        source = step.source
        target = step.target
    }
}

/// What a runner reports as it goes, for live progress or one line per finished step.
public enum RunnerEvent: Sendable {
    /// The runner claimed the step and handed it to its executor.
    case stepStarted(StepInfo)
    /// The step reached a final outcome; `report` is what the audit recorded (its `error` for
    /// failed and dead steps).
    case stepFinished(StepInfo, outcome: StepOutcome, report: StepReport)
    /// The attempt failed with a retryable error; the step runs again at `at`.
    case retryScheduled(StepInfo, at: Date, error: String)
    /// Shutdown stopped the attempt; the step goes back to pending without counting it.
    case stepInterrupted(StepInfo)
    /// The lease was lost (it expired and another worker took the step); its result was dropped.
    case leaseLost(StepInfo, message: String)
    /// A shutdown was requested; no new steps are claimed.
    case shutdownRequested(ShutdownLevel)
}
