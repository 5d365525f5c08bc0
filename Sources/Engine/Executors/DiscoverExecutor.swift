import Foundation
import ImageTransports
import Queue
import Registry

/// Runs `discover` steps: lists the tags of a registry repository (or the image names of a layout),
/// keeps those the job's filter accepts, and queues their load, mutate and push steps. The keys are
/// stable, so running it again queues nothing new. Cleanup jobs plan their deletions here (`CleanupPlanning`).
public struct DiscoverExecutor: StepExecutor {
    let services: ExecutionServices

    public init(services: ExecutionServices) {
        self.services = services
    }

    public func execute(_ step: ClaimedStep, context: StepContext) async throws -> StepExecution {
        let input = try step.decodedInput(DiscoverInput.self)
        if let target = input.referrersTarget {
            return try await ReferrerDiscovery(services: services).plan(
                step, input: input, target: target, context: context)
        }
        if case .cleanup(let cleanup) = services.planner.plan.job(withID: step.jobID)?.kind {
            let planning = CleanupPlanning(services: services)
            if let prefix = input.catalogPrefix {
                return try await planning.planCatalog(
                    jobID: step.jobID, registry: input.source, prefix: prefix, context: context)
            }
            guard case .repository(let repository) = try ImageLocation(stored: input.source) else {
                throw StepRefusal("\(input.source) is not a registry repository; a cleanup works on repositories")
            }
            return try await planning.plan(cleanup, jobID: step.jobID, repository: repository, context: context)
        }
        let location = try ImageLocation(stored: input.source)
        let tags: [String]
        switch location {
        case .repository(let repository):
            tags = try await RegistryRepository(
                session: services.endpoints.session, reference: try repository.reference(tag: "latest")
            ).listTags()
        case .layout(let directory, nil, nil):
            tags = try await OCILayoutSource(directory: directory).listTags()
        default:
            throw StepRefusal("\(input.source) is one image, not a repository whose tags could be listed")
        }
        let planned = try services.planner.steps(forJob: step.jobID, discoveredIn: location, tags: tags)
        try await context.insertSteps(planned.steps)
        let result = DiscoverResult(tags: planned.tags, stepsPlanned: planned.steps.count)
        return .succeeded(StepReport(result: try StepJSON.encode(result)))
    }
}
