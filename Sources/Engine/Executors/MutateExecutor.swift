import Foundation
import ImageTransports
import OCI
import Queue

/// Runs `mutate` steps: keeps the job's platforms of the loaded image, and sets its labels and annotations. The same input gives
/// the same bytes, so running it twice is harmless. The new manifests and configs (small, bounded
/// by `ContentLimits`) go into the result for the push; layers are untouched. An image that already
/// carries every label and annotation is `skipped`.
public struct MutateExecutor: StepExecutor {
    let services: ExecutionServices

    public init(services: ExecutionServices) {
        self.services = services
    }

    public func execute(_ step: ClaimedStep, context: StepContext) async throws -> StepExecution {
        let input = try step.decodedInput(MutateInput.self)
        let loaded = try await services.dependencies.required(LoadResult.self, of: .load, for: step)
        let digest = try ExecutionServices.pinnedDigest(loaded, of: input.source)
        let source = try await services.pinnedSource(try ImageLocation(stored: input.source), at: digest)
        let original = try await source.rootManifest()
        let filtered = try input.platforms.map { try PlatformFilter($0).apply(to: original, source: input.source) }
        let base = filtered ?? original
        let mutation = ImageMutation(labels: input.labels, annotations: input.annotations)
        let made: MutationResult
        do {
            made = try await mutation.apply(toManifest: base.bytes, mediaType: base.mediaType) { descriptor in
                if descriptor.mediaType.isManifest {
                    return try await source.manifest(.digest(descriptor.digest)).bytes
                }
                return try await source.blob(descriptor).readAll(limit: ContentLimits.configBytes)
            }
        } catch let error as OCIError {
            throw TransportError(.invalidInput, "\(source.displayName): \(error.message)")
        }
        guard made.digest != original.digest else {
            let result = MutateResult(
                changed: false, digest: original.digest.description, mediaType: original.mediaType.rawValue,
                size: loaded.size, root: nil, manifests: [], blobs: [])
            return .skipped(
                StepReport(
                    result: try StepJSON.encode(result), digest: result.digest, mediaType: result.mediaType,
                    size: loaded.size, error: "the image already has these labels and annotations"))
        }
        // An empty mutation leaves the (filtered) root as it is and reports no new bytes for it.
        let rootBytes = made.changed ? made.bytes : base.bytes
        var result = MutateResult(
            changed: true, digest: made.digest.description, mediaType: made.mediaType.rawValue, size: nil,
            root: StoredDocument(digest: made.digest, mediaType: made.mediaType, bytes: rootBytes),
            manifests: made.newManifests.map {
                StoredDocument(digest: $0.descriptor.digest, mediaType: $0.descriptor.mediaType, bytes: $0.bytes)
            },
            blobs: made.newBlobs.map {
                StoredDocument(digest: $0.descriptor.digest, mediaType: $0.descriptor.mediaType, bytes: $0.bytes)
            })
        let overlay = try OverlayImageSource(base: source, mutation: result)
        let size = try await ImageSize.measure(overlay.root, in: overlay)
        result.size = size
        return .succeeded(
            StepReport(
                result: try StepJSON.encode(result), digest: result.digest, mediaType: result.mediaType, size: size))
    }
}
