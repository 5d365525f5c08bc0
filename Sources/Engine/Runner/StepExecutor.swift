import Queue

/// Carries out steps of one kind. It must be safe to run twice: it checks before it acts.
///
/// Throwing reports a failure; `StepFailureClassifier` decides whether it is retried. A step that
/// refuses to act throws `StepRefusal`. Executors should stop promptly when their task is cancelled.
public protocol StepExecutor: Sendable {
    func execute(_ step: ClaimedStep, context: StepContext) async throws -> StepExecution
}

/// How an executed step ended when it did not throw.
public enum StepExecution: Sendable {
    /// It did its work.
    case succeeded(StepReport)
    /// There was nothing to do; the report says why.
    case skipped(StepReport)

    var outcome: StepOutcome {
        switch self {
        case .succeeded: .succeeded
        case .skipped: .skipped
        }
    }

    var report: StepReport {
        switch self {
        case .succeeded(let report), .skipped(let report): report
        }
    }
}

/// The executor for each step kind a runner can run.
public struct StepExecutors: Sendable {
    private var byKind: [StepKind: any StepExecutor]

    public init(_ byKind: [StepKind: any StepExecutor] = [:]) {
        self.byKind = byKind
    }

    public subscript(kind: StepKind) -> (any StepExecutor)? {
        get { byKind[kind] }
        set { byKind[kind] = newValue }
    }
}

/// Runs `noop` steps: succeeds at once. Used by the queue benchmark and tests.
public struct NoopExecutor: StepExecutor {
    public init() {}

    public func execute(_ step: ClaimedStep, context: StepContext) async throws -> StepExecution {
        .succeeded(StepReport())
    }
}
