import Foundation
import ImageTransports
import Queue

/// Reads the results of the steps a step depends on (its `load`, its `mutate`).
struct DependencyResults: Sendable {
    let store: any QueueStore

    /// The result of the one dependency of `kind`, or nil when the step has none of that kind.
    func result<Value: Decodable>(_ type: Value.Type, of kind: StepKind, for step: ClaimedStep) async throws -> Value? {
        guard let record = try await store.step(step.id) else {
            throw StepRefusal("step \(step.id) is no longer in the queue")
        }
        for id in record.dependsOn {
            guard let dependency = try await store.step(id), dependency.kind == kind else { continue }
            guard let data = dependency.result else {
                throw StepRefusal("step \(id) (\(kind.rawValue)) finished without a result")
            }
            return try StepJSON.decode(type, from: data, what: "the result of step \(id) (\(kind.rawValue))")
        }
        return nil
    }

    /// Like `result`, but the dependency must exist.
    func required<Value: Decodable>(_ type: Value.Type, of kind: StepKind, for step: ClaimedStep) async throws -> Value
    {
        guard let value = try await result(type, of: kind, for: step) else {
            throw StepRefusal("step \(step.id) (\(step.kind.rawValue)) has no \(kind.rawValue) step to read from")
        }
        return value
    }
}

extension ImageLocation {
    /// Parses a location the planner wrote (absolute paths, transport syntax).
    init(stored text: String) throws {
        do {
            try self.init(parsing: text, relativeTo: "/")
        } catch {
            throw StepRefusal("the queued location \(text) cannot be read: \(error)")
        }
    }
}
