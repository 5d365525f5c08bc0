import Foundation
import ImageTransports
import OCI
import Queue

/// Runs `push` steps: copies the image pinned by its `load` step (with its `mutate` step's new
/// manifests and configs, if any) to the target tag. `ImageCopier` checks first: a target tag that
/// already has the digest is `skipped` with no upload, and blobs the target holds are not sent.
public struct PushExecutor: StepExecutor {
    let services: ExecutionServices
    let copier: ImageCopier

    public init(services: ExecutionServices, copier: ImageCopier = ImageCopier()) {
        self.services = services
        self.copier = copier
    }

    public func execute(_ step: ClaimedStep, context: StepContext) async throws -> StepExecution {
        let input = try step.decodedInput(PushInput.self)
        let loaded = try await services.dependencies.required(LoadResult.self, of: .load, for: step)
        let mutated = try await services.dependencies.result(MutateResult.self, of: .mutate, for: step)
        let from = try ImageLocation(stored: input.source)
        let pinned = try await services.pinnedSource(
            from, at: try ExecutionServices.pinnedDigest(loaded, of: input.source))
        let source: any ImageSource =
            if let mutated, mutated.changed { try OverlayImageSource(base: pinned, mutation: mutated) } else { pinned }
        let target = try ImageLocation(stored: input.target)
        let (destination, tag) = try services.endpoints.openDestination(target, defaultTag: from.tag)
        let report = try await copier.copy(from: source, to: destination, tag: tag)
        context.addBytesMoved(report.bytesMoved)
        let result = PushResult(
            digest: report.digest.description, mediaType: report.mediaType.rawValue, size: report.size,
            skipped: report.skipped, bytesMoved: report.bytesMoved, blobsUploaded: report.blobsUploaded,
            blobsSkipped: report.blobsSkipped, blobsMounted: report.blobsMounted,
            manifestsWritten: report.manifestsWritten)
        let encoded = try StepJSON.encode(result)
        var stepReport = StepReport(
            result: encoded, digest: result.digest, mediaType: result.mediaType, size: result.size, details: encoded)
        guard !report.skipped else {
            stepReport.error = "\(input.target) already has \(report.digest)"
            return .skipped(stepReport)
        }
        return .succeeded(stepReport)
    }
}
