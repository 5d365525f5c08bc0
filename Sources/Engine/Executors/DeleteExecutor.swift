import Foundation
import ImageTransports
import OCI
import Queue
import Registry

/// Runs `delete` steps as compare-and-delete: the tag must still point at the digest its `load`
/// step recorded at planning time, or the step refuses (`failed`, not retried): someone pushed a
/// new image there since. An image already gone is `skipped`. Cleanup deletions carry the digest
/// their decision recorded instead of a `load` step; a tag the cleanup found not removable is only
/// reported (`skipped`, with the reason).
public struct DeleteExecutor: StepExecutor {
    let services: ExecutionServices

    public init(services: ExecutionServices) {
        self.services = services
    }

    public func execute(_ step: ClaimedStep, context: StepContext) async throws -> StepExecution {
        let input = try step.decodedInput(DeleteInput.self)
        let location = try ImageLocation(stored: input.image)
        guard case .registry(let reference) = location else {
            throw StepRefusal("\(input.image) is not a registry image; only registry images can be deleted")
        }
        if let reason = input.notRemovable {
            return .skipped(
                StepReport(
                    digest: input.expectedDigest, error: "not removable: \(reason)",
                    details: try StepJSON.encode(
                        DeleteResult(digest: input.expectedDigest, actions: [], gone: false, rule: reason))))
        }
        let recorded: Digest
        var loaded: LoadResult?
        if let expected = input.expectedDigest {
            // A cleanup recorded the digest when it decided; there is no load step.
            guard let digest = try? Digest(parsing: expected) else {
                throw StepRefusal("the delete step of \(input.image) recorded an invalid digest \(expected)")
            }
            recorded = digest
        } else {
            let result = try await services.dependencies.required(LoadResult.self, of: .load, for: step)
            if result.gone == true { return try gone(reference, digest: nil) }
            recorded = try ExecutionServices.pinnedDigest(result, of: input.image)
            loaded = result
        }
        let repository = RegistryRepository(session: services.endpoints.session, reference: reference)
        if let tag = reference.tag, reference.digest == nil {
            guard let current = try await repository.manifestDigest(tag: tag) else {
                return try gone(reference, digest: recorded, rule: input.rule)
            }
            guard current == recorded else {
                throw StepRefusal(
                    "tag \(tag) of \(reference.name) moved from \(recorded) to \(current) since planning; not deleted")
            }
        } else if !(try await repository.hasManifest(recorded)) {
            return try gone(reference, digest: recorded, rule: input.rule)
        }
        let provider = services.deleter.provider(for: reference)
        let actions = try await provider.plan(
            Self.pinnedForDelete(reference, digest: recorded, deleter: services.deleter),
            alongWith: Set(input.alongWith ?? []))
        do {
            try await provider.execute(actions)
        } catch let error as RegistryError where error.isNotFound {
            return try gone(reference, digest: recorded, rule: input.rule)
        }
        let result = DeleteResult(
            digest: recorded.description, actions: actions.map(\.description), gone: false, rule: input.rule)
        return .succeeded(
            StepReport(
                result: try StepJSON.encode(result), digest: recorded.description, mediaType: loaded?.mediaType,
                size: loaded?.size, details: try StepJSON.encode(result)))
    }

    private func gone(_ reference: Reference, digest: Digest?, rule: String? = nil) throws -> StepExecution {
        let result = DeleteResult(digest: digest?.description, actions: [], gone: true, rule: rule)
        return .skipped(
            StepReport(
                result: try StepJSON.encode(result), digest: digest?.description,
                error: "\(reference) is already gone", details: try StepJSON.encode(result)))
    }

    /// On standard registries the delete goes by the recorded digest, so nothing that moved in the
    /// meantime is touched; Docker Hub and IBM Cloud delete by the name as written.
    static func pinnedForDelete(_ reference: Reference, digest: Digest, deleter: RegistryDeleter) -> Reference {
        deleter.provider(for: reference) is StandardDeleteProvider ? reference.withDigest(digest) : reference
    }
}
