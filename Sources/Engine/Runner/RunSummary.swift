import Foundation
import Queue

/// How a runner's work on a run ended.
public enum RunOutcome: String, Sendable, Equatable {
    /// Every step succeeded or was skipped.
    case finished
    /// Nothing is left to do, and some step failed or is dead.
    case failed
    /// A shutdown or cancellation stopped the runner; the run can be resumed.
    case interrupted

    /// The process exit status the command line uses for it.
    public var exitStatus: Int32 {
        switch self {
        case .finished: 0
        case .failed: 1
        case .interrupted: 130
        }
    }
}

/// A step that ended `failed` or `dead`, and why.
public struct FailedStep: Sendable, Equatable {
    public var id: StepID
    public var jobID: String
    public var kind: StepKind
    public var key: String
    public var outcome: StepOutcome
    public var attempts: Int
    public var error: String?
}

/// What a runner reports when it returns.
public struct RunSummary: Sendable {
    public var runID: RunID
    public var outcome: RunOutcome
    /// Steps of the whole run in each state, as the queue holds them at the end.
    public var stepCounts: [StepState: Int]
    /// Steps this runner brought to each outcome (other processes may have done the rest).
    public var finishedHere: [StepOutcome: Int]
    public var retriesScheduled: Int
    public var bytesMoved: Int64
    public var elapsed: Duration
    /// Every failed or dead step of the run, by id.
    public var failedSteps: [FailedStep]

    public func count(_ state: StepState) -> Int { stepCounts[state] ?? 0 }
}
