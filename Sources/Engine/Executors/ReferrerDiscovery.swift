import Foundation
import Queue
import Registry

/// The `discover` step that follows an image's push in a copy job with `referrers: true`: finds the
/// artifacts that point at the image (signatures, SBOMs, attestations) and queues their copies to
/// the target repository, unchanged, under the same tags.
///
/// Artifacts are found through the tag scheme signing tools use where a registry has no referrers
/// API (docker-registry 2.8 has none): tags named `sha256-<hex>` (the OCI fallback index of
/// referrers) or starting with `sha256-<hex>.` (cosign's `.sig`, `.att`, `.sbom`). An image that was
/// changed on the way has a new digest, so its source's artifacts do not apply and are not copied.
struct ReferrerDiscovery: Sendable {
    let services: ExecutionServices

    func plan(_ step: ClaimedStep, input: DiscoverInput, target: String, context: StepContext) async throws
        -> StepExecution
    {
        let loaded = try await services.dependencies.required(LoadResult.self, of: .load, for: step)
        let digest = try ExecutionServices.pinnedDigest(loaded, of: input.source)
        guard case .registry(let from) = try ImageLocation(stored: input.source),
            case .registry(let to) = try ImageLocation(stored: target)
        else {
            return .skipped(
                StepReport(
                    digest: digest.description,
                    error: "referrers are copied between registries only; \(input.source) → \(target) copies none"))
        }
        let mutated = try await services.dependencies.result(MutateResult.self, of: .mutate, for: step)
        if let mutated, mutated.changed {
            return .skipped(
                StepReport(
                    digest: digest.description,
                    error: "the image was changed on the way (labels, annotations or platforms), so artifacts made "
                        + "for \(digest) do not apply to the copy; none copied"))
        }
        let scheme = "\(digest.algorithm)-\(digest.encoded)"
        let tags = try await RegistryRepository(session: services.endpoints.session, reference: from).listTags()
            .filter { $0 == scheme || $0.hasPrefix(scheme + ".") }
        let sourceRepository = RepositoryName(from)
        let targetRepository = RepositoryName(to)
        var steps: [NewStep] = []
        for tag in tags {
            steps += try services.planner.imageSteps(
                step.jobID, source: .registry(try sourceRepository.reference(tag: tag)),
                target: .registry(try targetRepository.reference(tag: tag)), mutation: nil)
        }
        try await context.insertSteps(steps)
        let result = DiscoverResult(tags: tags, stepsPlanned: steps.count)
        let encoded = try StepJSON.encode(result)
        return .succeeded(StepReport(result: encoded, digest: digest.description, details: encoded))
    }
}
