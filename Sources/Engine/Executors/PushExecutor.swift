import Foundation
import ImageTransports
import OCI
import Queue

/// Runs `push` steps: copies the image pinned by its `load` step (with its `mutate` step's new
/// manifests and configs, if any) to the target tag.
///
/// It checks first, before reading anything from the source: a target tag that already has the
/// digest is `skipped` after that one HEAD (a re-run of a finished migration costs one request per
/// image here). Otherwise `ImageCopier` copies, skipping blobs the target holds; a target in the
/// source's own repository is not even asked about the layers (`PushDestination`).
/// The details record the bytes moved and the requests the run's HTTP session started while the
/// step ran (exact with one worker; with more, other steps' requests are counted too).
public struct PushExecutor: StepExecutor {
    let services: ExecutionServices
    let copier: ImageCopier

    public init(services: ExecutionServices, copier: ImageCopier = ImageCopier()) {
        self.services = services
        self.copier = copier
    }

    public func execute(_ step: ClaimedStep, context: StepContext) async throws -> StepExecution {
        let requestsBefore = services.endpoints.session.http.statistics.requestsStarted
        let input = try step.decodedInput(PushInput.self)
        let loaded = try await services.dependencies.required(LoadResult.self, of: .load, for: step)
        let mutated = try await services.dependencies.result(MutateResult.self, of: .mutate, for: step)
        let from = try ImageLocation(stored: input.source)
        let target = try ImageLocation(stored: input.target)
        let (opened, tag) = try services.endpoints.openDestination(target, defaultTag: from.tag)
        let expected = try ExecutionServices.pinnedDigest(
            LoadResult(digest: mutated?.digest ?? loaded.digest), of: input.source)
        var current: Digest?
        if let tag { current = try await opened.manifestDigest(tag: tag) }
        if tag != nil, current == expected {
            let result = PushResult(
                digest: expected.description, mediaType: mutated?.mediaType ?? loaded.mediaType ?? "",
                size: mutated?.size ?? loaded.size ?? 0, skipped: true, bytesMoved: 0, blobsUploaded: 0,
                blobsSkipped: 0, blobsMounted: 0, manifestsWritten: 0,
                requests: services.endpoints.session.http.statistics.requestsStarted - requestsBefore)
            var report = try Self.report(result)
            report.error = "\(input.target) already has \(expected)"
            return .skipped(report)
        }
        let pinned = try await services.pinnedSource(
            from, at: try ExecutionServices.pinnedDigest(loaded, of: input.source))
        let source: any ImageSource =
            if let mutated, mutated.changed { try OverlayImageSource(base: pinned, mutation: mutated) } else { pinned }
        let destination = PushDestination(
            base: opened, tag: tag, tagDigest: current, sameRepository: Self.isSameRepository(from, target),
            mutation: mutated)
        let copied = try await copier.copy(from: source, to: destination, tag: tag)
        context.addBytesMoved(copied.bytesMoved)
        let result = PushResult(
            digest: copied.digest.description, mediaType: copied.mediaType.rawValue, size: copied.size,
            skipped: copied.skipped, bytesMoved: copied.bytesMoved, blobsUploaded: copied.blobsUploaded,
            blobsSkipped: copied.blobsSkipped, blobsMounted: copied.blobsMounted,
            manifestsWritten: copied.manifestsWritten,
            requests: services.endpoints.session.http.statistics.requestsStarted - requestsBefore)
        var report = try Self.report(result)
        guard !copied.skipped else {
            report.error = "\(input.target) already has \(copied.digest)"
            return .skipped(report)
        }
        return .succeeded(report)
    }

    private static func report(_ result: PushResult) throws -> StepReport {
        let encoded = try StepJSON.encode(result)
        return StepReport(
            result: encoded, digest: result.digest, mediaType: result.mediaType, size: result.size, details: encoded)
    }

    /// Whether both ends are the same registry repository (relabeling).
    static func isSameRepository(_ source: ImageLocation, _ target: ImageLocation) -> Bool {
        guard case .registry(let from) = source, case .registry(let to) = target else { return false }
        return from.registry == to.registry && from.repository == to.repository
    }
}
