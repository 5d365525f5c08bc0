import Foundation
import Queue
import Registry

/// The planning half of a cleanup, run by its `discover` steps: reads a repository's inventory,
/// decides with the job's policy, records the decision in the step's result (and so in the audit),
/// and queues the compare-and-delete steps. With a catalog prefix, lists the catalog first and
/// queues a discover step per repository under the prefix.
struct CleanupPlanning: Sendable {
    let services: ExecutionServices
    let loader = CleanupInventoryLoader()

    /// Decides for `repository` now; throws the policy's `CleanupRefusal` when it would empty it.
    func plan(
        _ job: CleanupJob, jobID: String, repository: RepositoryName, context: StepContext
    ) async throws -> StepExecution {
        let source = RegistryRepository(
            session: services.endpoints.session, reference: try repository.reference(tag: "latest"))
        let inventory = try await loader.load(repository: repository.description, from: source)
        let now = Date()
        let decision = try CleanupPolicy(job: job).decide(inventory, now: now)
        let steps = try services.planner.cleanupSteps(
            forJob: jobID, repository: repository, decision: decision, inventory: inventory)
        try await context.insertSteps(steps)
        let result = DiscoverResult(
            tags: inventory.tags.map(\.tag).sorted(), stepsPlanned: steps.count,
            cleanup: CleanupRecord(decision, decidedAt: now))
        let encoded = try StepJSON.encode(result)
        return .succeeded(
            StepReport(
                result: encoded, target: ImageLocation.repository(repository).description, details: encoded))
    }

    /// Lists `registry`'s catalog and queues a discover step per repository whose name starts with `prefix`.
    func planCatalog(jobID: String, registry: String, prefix: String, context: StepContext) async throws
        -> StepExecution
    {
        let names = try await services.endpoints.session.client(for: registry).catalog()
        var repositories: [RepositoryName] = []
        for name in names.sorted() where name.hasPrefix(prefix) {
            do {
                repositories.append(try RepositoryName(parsing: "\(registry)/\(name)"))
            } catch {
                throw StepRefusal("the catalog of \(registry) lists \"\(name)\", which is not a repository name")
            }
        }
        let steps = try services.planner.cleanupDiscoverSteps(forJob: jobID, repositories: repositories)
        try await context.insertSteps(steps)
        let result = DiscoverResult(
            tags: [], stepsPlanned: steps.count, repositories: repositories.map(\.description))
        return .succeeded(StepReport(result: try StepJSON.encode(result)))
    }
}
