import Foundation
import Queue

/// The errors executors threw in this process, by step: the queue keeps only their text, while a
/// one-job command (`copy`, `delete`) wants the error itself to choose its exit status.
public final class StepErrorLog: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var errors: [StepID: any Error] = [:]

    public init() {}

    /// The last error step `id` threw here, if any.
    public func error(for id: StepID) -> (any Error)? { lock.withLock { errors[id] } }

    func record(_ error: any Error, for id: StepID) { lock.withLock { errors[id] = error } }
}

/// Runs another executor and notes what it throws.
struct ErrorRecordingExecutor: StepExecutor {
    let wrapped: any StepExecutor
    let log: StepErrorLog

    func execute(_ step: ClaimedStep, context: StepContext) async throws -> StepExecution {
        do {
            return try await wrapped.execute(step, context: context)
        } catch {
            log.record(error, for: step.id)
            throw error
        }
    }
}
