import Foundation

/// What happened to one step, recorded once when it reached a final state.
public struct AuditRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var runID: RunID?
    public var stepID: StepID?
    public var jobID: String
    /// The step kind (`load`, `mutate`, `push`, `delete`, …).
    public var op: String
    public var source: String?
    public var target: String?
    public var digest: String?
    public var mediaType: String?
    public var size: Int64?
    public var outcome: StepOutcome
    public var attempts: Int
    /// The first attempt's start; nil when the step never started (a dependency failed).
    public var startedAt: Date?
    public var endedAt: Date
    public var error: String?
    /// Executor extras, as JSON.
    public var details: Data?
}

/// Which audit records to list. Unset fields do not filter.
public struct AuditFilter: Sendable, Equatable {
    public var run: RunID?
    public var job: String?
    public var op: StepKind?
    /// A `GLOB` pattern matched against source or target, e.g. `registry.example.com/team/*`.
    public var refGlob: String?
    /// A digest or a prefix of one (`sha256:ab12`).
    public var digest: String?
    /// Records that ended at or after this time.
    public var since: Date?
    /// Records that ended before this time.
    public var until: Date?
    public var outcome: StepOutcome?
    /// At most this many records (the oldest first).
    public var limit: Int?

    public init(
        run: RunID? = nil, job: String? = nil, op: StepKind? = nil, refGlob: String? = nil, digest: String? = nil,
        since: Date? = nil, until: Date? = nil, outcome: StepOutcome? = nil, limit: Int? = nil
    ) {
        self.run = run
        self.job = job
        self.op = op
        self.refGlob = refGlob
        self.digest = digest
        self.since = since
        self.until = until
        self.outcome = outcome
        self.limit = limit
    }
}
