import Foundation
import OCI
import Queue

extension Planner {
    /// The discover step of a cleanup over every repository of `registry`'s catalog under `prefix`.
    func catalogDiscover(_ jobID: String, registry: String, prefix: String) throws -> NewStep {
        try step(
            jobID, .discover, DiscoverInput(source: registry, catalogPrefix: prefix), source: "\(registry)/\(prefix)*")
    }

    /// The discover steps of job `jobID` for the repositories a catalog listing found.
    public func cleanupDiscoverSteps(forJob jobID: String, repositories: [RepositoryName]) throws -> [NewStep] {
        try repositories.map { try discover(jobID, .repository($0)) }
    }

    /// The steps that carry out `decision` for `repository`: one compare-and-delete step per
    /// deletion (tag and digest recorded; a manifest waits for the deletions of the indexes that
    /// refer to it), and one step per tag that is not removable, which only reports why.
    ///
    /// Tags that share a digest each get a step; the first deletes the manifest and the others find
    /// it gone (`skipped`). Keys come from the inputs, so the same decision plans nothing twice.
    public func cleanupSteps(
        forJob jobID: String, repository: RepositoryName, decision: CleanupDecision, inventory: CleanupInventory
    ) throws -> [NewStep] {
        let deletedTags = Dictionary(grouping: decision.deletions, by: \.digest).mapValues { $0.map(\.tag) }
        var keysByDigest: [Digest: [String]] = [:]
        var steps: [NewStep] = []
        for deletion in decision.deletions {
            let containers = inventory.tags.filter { $0.children.contains(deletion.digest) }.map(\.digest)
            let dependencies = Set(containers).sorted().flatMap { keysByDigest[$0] ?? [] }
            let others = (deletedTags[deletion.digest] ?? []).filter { $0 != deletion.tag }
            let input = DeleteInput(
                image: try Self.tagLocation(repository, deletion.tag), expectedDigest: deletion.digest.description,
                rule: deletion.rule.description, alongWith: others.isEmpty ? nil : others)
            let delete = try step(jobID, .delete, input, dependsOn: dependencies, target: input.image)
            keysByDigest[deletion.digest, default: []].append(delete.key)
            steps.append(delete)
        }
        for entry in decision.notRemovable {
            let input = DeleteInput(
                image: try Self.tagLocation(repository, entry.tag), expectedDigest: entry.digest.description,
                rule: entry.rule.description, notRemovable: entry.rule.description)
            steps.append(try step(jobID, .delete, input, target: input.image))
        }
        return steps
    }

    private static func tagLocation(_ repository: RepositoryName, _ tag: String) throws -> String {
        ImageLocation.registry(try repository.reference(tag: tag)).description
    }
}
