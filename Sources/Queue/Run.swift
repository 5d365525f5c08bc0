import Foundation

/// Where a run stands.
public enum RunState: String, Sendable, CaseIterable, Codable {
    /// Work may remain; workers are (or were, before a crash) claiming its steps.
    case running
    /// Every step succeeded or was skipped.
    case finished
    /// Stopped by a signal; running the plan again or `resume` picks it up.
    case interrupted
    /// Nothing is left to do, and some step failed or is dead.
    case failed

    /// Whether running the same plan again resumes this run rather than starting a new one.
    public var isResumable: Bool { self == .running || self == .interrupted }
}

/// The plan a run executes, as the queue stores it.
public struct NewRun: Sendable {
    public var planName: String
    /// A hash of the plan's content: running an identical plan resumes its unfinished run.
    public var planHash: String
    /// The plan itself, as JSON.
    public var planJSON: Data

    public init(planName: String, planHash: String, planJSON: Data) {
        self.planName = planName
        self.planHash = planHash
        self.planJSON = planJSON
    }
}

/// A run as stored.
public struct RunRecord: Sendable, Equatable {
    public var id: RunID
    public var planName: String
    public var planHash: String
    public var planJSON: Data
    public var createdAt: Date
    public var finishedAt: Date?
    public var state: RunState
}

/// The run a plan execution works on, and whether it continues an earlier one.
public struct RunStart: Sendable, Equatable {
    public var run: RunRecord
    /// True when an unfinished run of the same plan was found and is being resumed.
    public var resumed: Bool
}
