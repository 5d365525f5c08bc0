/// How many of a job's steps are in each state.
public struct JobProgress: Sendable, Equatable {
    public var jobID: String
    public var counts: [StepState: Int]

    public var total: Int { counts.values.reduce(0, +) }
    public func count(_ state: StepState) -> Int { counts[state] ?? 0 }
}

/// A run's progress, job by job (sorted by job id).
public struct RunProgress: Sendable, Equatable {
    public var jobs: [JobProgress]

    /// Step counts by state over the whole run.
    public var counts: [StepState: Int] {
        jobs.reduce(into: [:]) { totals, job in totals.merge(job.counts, uniquingKeysWith: +) }
    }
    public var total: Int { jobs.reduce(0) { $0 + $1.total } }
    public func count(_ state: StepState) -> Int { counts[state] ?? 0 }
    /// True when no step is pending or running.
    public var isDone: Bool { count(.pending) == 0 && count(.running) == 0 }
}
