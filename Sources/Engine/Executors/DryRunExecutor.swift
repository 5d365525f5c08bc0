import Foundation
import Queue

/// Stands in for steps that write (`push`, `delete`) during a dry run: changes nothing and ends the
/// step `skipped` with a note of what it would have done.
public struct DryRunExecutor: StepExecutor {
    let services: ExecutionServices

    public init(services: ExecutionServices) {
        self.services = services
    }

    public func execute(_ step: ClaimedStep, context: StepContext) async throws -> StepExecution {
        let loaded = try await services.dependencies.result(LoadResult.self, of: .load, for: step)
        let mutated = try await services.dependencies.result(MutateResult.self, of: .mutate, for: step)
        let deletion = step.kind == .delete ? try step.decodedInput(DeleteInput.self) : nil
        let digest = mutated?.digest ?? loaded?.digest ?? deletion?.expectedDigest
        let target = step.target ?? "?"
        let note: String
        switch step.kind {
        case .delete where deletion?.notRemovable != nil:
            note = "dry run: \(target) stays, not removable: \(deletion?.notRemovable ?? "")"
        case .delete:
            note =
                loaded?.gone == true
                ? "dry run: \(target) is already gone"
                : "dry run: would delete \(target) at \(digest ?? "?")"
                    + (loaded?.deleteActions.map { " (\($0.joined(separator: "; ")))" } ?? "")
                    + (deletion?.rule.map { " (\($0))" } ?? "")
        default:
            note = "dry run: would \(step.kind.rawValue) \(digest ?? "?") to \(target)"
        }
        return .skipped(
            StepReport(
                digest: digest, mediaType: mutated?.mediaType ?? loaded?.mediaType, size: loaded?.size, error: note))
    }
}
