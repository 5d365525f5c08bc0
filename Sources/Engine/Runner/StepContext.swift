import Queue

/// What a runner gives an executor besides the step: a logger, the clock, the shutdown state, a
/// way to add steps to the run, and progress counters.
public struct StepContext: Sendable {
    /// Carries `run.id`, `step.id`, `step.kind`, `step.job` and `step.attempt` as metadata.
    public let logger: EngineLogger
    public let clock: any RunnerClock
    public let runID: RunID
    private let shutdown: ShutdownTrigger
    private let counters: RunCounters
    private let insert: @Sendable ([NewStep]) async throws -> [String: StepID]

    init(
        logger: EngineLogger, clock: any RunnerClock, runID: RunID, shutdown: ShutdownTrigger, counters: RunCounters,
        insert: @escaping @Sendable ([NewStep]) async throws -> [String: StepID]
    ) {
        self.logger = logger
        self.clock = clock
        self.runID = runID
        self.shutdown = shutdown
        self.counters = counters
        self.insert = insert
    }

    /// True once a shutdown was requested: long steps may stop at a safe point. Task cancellation
    /// (`Task.isCancelled`) is the harder signal: the grace period is over.
    public var isShuttingDown: Bool { shutdown.level != .none }

    /// Adds follow-up steps to this run (a discovery step expands into the steps it found). They
    /// may depend on keys planned earlier in the run; keys the run already has are left alone.
    @discardableResult
    public func insertSteps(_ steps: [NewStep]) async throws -> [String: StepID] {
        try await insert(steps)
    }

    /// Counts bytes sent or received for the run's progress display.
    public func addBytesMoved(_ count: Int64) {
        counters.addBytesMoved(count)
    }
}
