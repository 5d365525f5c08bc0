import Foundation

/// What a step does; the engine gives each kind its executor.
public enum StepKind: String, Sendable, CaseIterable, Codable {
    case load, mutate, push, delete, discover, noop
}

/// Where a step stands. `succeeded`, `skipped`, `failed` and `dead` are final.
public enum StepState: String, Sendable, CaseIterable, Codable {
    case pending, running, succeeded, skipped, failed, dead

    public var isFinal: Bool { self != .pending && self != .running }
}

/// How a step ended.
public enum StepOutcome: String, Sendable, CaseIterable, Codable {
    /// It did its work.
    case succeeded
    /// There was nothing to do (the target already had it, the tag was already gone).
    case skipped
    /// It can never succeed (a refused delete, a dependency that failed); not retried.
    case failed
    /// It ran out of attempts.
    case dead

    public var state: StepState {
        switch self {
        case .succeeded: .succeeded
        case .skipped: .skipped
        case .failed: .failed
        case .dead: .dead
        }
    }

    /// Whether steps that depend on this one may run.
    public var letsDependantsRun: Bool { self == .succeeded || self == .skipped }
}

/// A step to plan. Planning the same key twice in one run adds nothing.
public struct NewStep: Sendable {
    /// Derived from the step's inputs; unique within a run.
    public var key: String
    public var jobID: String
    public var kind: StepKind
    /// What the executor needs, as JSON. The queue never looks inside.
    public var input: Data
    public var maxAttempts: Int
    /// Keys of the steps (in this batch or planned earlier in the run) that must succeed first.
    public var dependsOn: [String]
    /// The reference the step reads from, recorded for audit queries.
    public var source: String?
    /// The reference the step writes to or deletes, recorded for audit queries.
    public var target: String?

    public init(
        key: String, jobID: String, kind: StepKind, input: Data = Data("{}".utf8), maxAttempts: Int = 5,
        dependsOn: [String] = [], source: String? = nil, target: String? = nil
    ) {
        self.key = key
        self.jobID = jobID
        self.kind = kind
        self.input = input
        self.maxAttempts = maxAttempts
        self.dependsOn = dependsOn
        self.source = source
        self.target = target
    }
}

/// A step a worker has claimed and now holds a lease on.
public struct ClaimedStep: Sendable, Equatable {
    public var id: StepID
    public var runID: RunID
    public var jobID: String
    public var kind: StepKind
    public var key: String
    public var input: Data
    /// This attempt's number, from 1; `attempts == maxAttempts` means this is the last try.
    public var attempts: Int
    public var maxAttempts: Int
    public var source: String?
    public var target: String?
    /// The error of the previous attempt, if there was one.
    public var lastError: String?
    public var owner: String
    public var leaseExpiresAt: Date

    /// What the worker presents to renew, retry or complete this step.
    public var lease: StepLease { StepLease(step: id, owner: owner) }
    /// Whether a failure of this attempt may be retried.
    public var hasAttemptsLeft: Bool { attempts < maxAttempts }
}

/// What a finished step reports; it becomes the step's result and its audit record.
public struct StepReport: Sendable {
    /// The executor's result, as JSON.
    public var result: Data?
    public var digest: String?
    public var mediaType: String?
    public var size: Int64?
    /// Replaces the planned source when the executor learned a more exact one (a resolved digest).
    public var source: String?
    /// Replaces the planned target likewise.
    public var target: String?
    /// Why the step failed or died, or a note on why it was skipped. Never a secret.
    public var error: String?
    /// Extra facts for the audit record, as JSON.
    public var details: Data?

    public init(
        result: Data? = nil, digest: String? = nil, mediaType: String? = nil, size: Int64? = nil,
        source: String? = nil, target: String? = nil, error: String? = nil, details: Data? = nil
    ) {
        self.result = result
        self.digest = digest
        self.mediaType = mediaType
        self.size = size
        self.source = source
        self.target = target
        self.error = error
        self.details = details
    }
}

/// A step as stored.
public struct StepRecord: Sendable, Equatable {
    public var id: StepID
    public var runID: RunID
    public var jobID: String
    public var kind: StepKind
    public var key: String
    public var input: Data
    public var state: StepState
    public var attempts: Int
    public var maxAttempts: Int
    public var nextAttemptAt: Date
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var lastError: String?
    public var result: Data?
    public var digest: String?
    public var mediaType: String?
    public var size: Int64?
    public var source: String?
    public var target: String?
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The steps this one waits for.
    public var dependsOn: [StepID]
}
