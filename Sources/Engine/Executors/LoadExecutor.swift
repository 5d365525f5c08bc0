import Foundation
import ImageTransports
import OCI
import Queue
import Registry

/// Runs `load` steps: resolves an image's root manifest and pins its digest, media type and size.
/// Reading twice is harmless. For delete jobs a missing image is `skipped` (already deleted), and
/// the result lists what a delete would do.
public struct LoadExecutor: StepExecutor {
    let services: ExecutionServices

    public init(services: ExecutionServices) {
        self.services = services
    }

    public func execute(_ step: ClaimedStep, context: StepContext) async throws -> StepExecution {
        let input = try step.decodedInput(LoadInput.self)
        let location = try ImageLocation(stored: input.source)
        let forDelete = input.missingIsGone ?? false
        do {
            let source = try await services.endpoints.openSource(location)
            let root = try await source.rootManifest()
            let size = try await ImageSize.measure(root, in: source)
            var result = LoadResult(digest: root.digest.description, mediaType: root.mediaType.rawValue, size: size)
            if forDelete, case .registry(let reference) = location {
                result.deleteActions = try await services.deleter.plan(
                    DeleteExecutor.pinnedForDelete(reference, digest: root.digest, deleter: services.deleter),
                    alongWith: Set(input.alongWith ?? [])
                ).map(\.description)
            }
            return .succeeded(
                StepReport(
                    result: try StepJSON.encode(result), digest: result.digest, mediaType: result.mediaType,
                    size: size))
        } catch let error as RegistryError where error.isNotFound && forDelete {
            let result = LoadResult(gone: true)
            return .skipped(StepReport(result: try StepJSON.encode(result), error: "\(location) does not exist"))
        }
    }
}
