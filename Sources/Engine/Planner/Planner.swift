import Foundation
import OCI
import Queue

/// Expands a plan's jobs into steps: for one image `load` → optional `mutate` → `push`; for a
/// delete `load` (pins the digest at planning time) → `delete`; for a whole repository a
/// `discover` step that plans each tag when it runs.
///
/// Keys are derived from each step's job, kind and input, so planning the same plan again (or a
/// discover step running twice) yields the same keys, and the queue adds nothing.
public struct Planner: Sendable {
    public let plan: Plan

    public init(plan: Plan) {
        self.plan = plan
    }

    /// The steps known before anything is read. Throws `PlanError` (exit 2) for jobs this version
    /// cannot run yet, naming each one, before anything is queued.
    public func rootSteps() throws -> [NewStep] {
        var problems: [PlanProblem] = []
        var steps: [NewStep] = []
        for (index, job) in plan.jobs.enumerated() {
            let path = "$.jobs[\(index)]"
            switch job.kind {
            case .copy(let copy):
                if copy.from.isRepository {
                    steps.append(try discover(job.id, copy.from))
                } else {
                    steps += try imageSteps(
                        job.id, source: copy.from, target: Self.target(copy.to, forTag: copy.from.tag),
                        mutation: copy.mutation, platforms: copy.platforms, referrers: copy.referrers)
                }
            case .relabel(let relabel):
                for repository in relabel.repositories {
                    steps.append(try discover(job.id, .repository(repository)))
                }
            case .delete(let delete):
                for image in delete.images {
                    // Tags of one digest go together; the registry refuses a delete that would take a
                    // tag the job does not name.
                    let others = delete.images.filter {
                        $0.registry == image.registry && $0.repository == image.repository && $0.tag != image.tag
                    }.compactMap(\.tag)
                    steps += try deleteSteps(job.id, image, alongWith: others)
                }
            case .cleanup(let cleanup):
                switch cleanup.scope {
                case .repositories(let repositories):
                    for repository in repositories {
                        steps.append(try discover(job.id, .repository(repository)))
                    }
                case .catalogPrefix(let registry, let prefix):
                    steps.append(try catalogDiscover(job.id, registry: registry, prefix: prefix))
                }
            }
        }
        guard problems.isEmpty else { throw PlanError(source: plan.name, problems: problems) }
        return steps
    }

    /// The steps for the tags a `discover` step of job `jobID` found in `source`, and the tags the
    /// job's filter accepted (sorted).
    public func steps(
        forJob jobID: String, discoveredIn source: ImageLocation, tags: [String]
    ) throws -> (tags: [String], steps: [NewStep]) {
        guard let job = plan.job(withID: jobID) else {
            throw StepRefusal("the plan has no job \"\(jobID)\" (was the run's plan changed?)")
        }
        var accepted: [String] = []
        var steps: [NewStep] = []
        for tag in tags.sorted() {
            switch job.kind {
            case .copy(let copy):
                guard copy.tags.accepts(tag) else { continue }
                let image = try Self.image(source, tag: tag)
                steps += try imageSteps(
                    jobID, source: image, target: Self.target(copy.to, forTag: tag), mutation: copy.mutation,
                    platforms: copy.platforms, referrers: copy.referrers)
            case .relabel(let relabel):
                guard relabel.tags.accepts(tag), case .repository(let repository) = source else { continue }
                let target = ImageLocation.registry(try repository.reference(tag: relabel.targetTag(for: tag)))
                steps += try imageSteps(
                    jobID, source: try Self.image(source, tag: tag), target: target, mutation: relabel.mutation)
            case .delete, .cleanup:
                throw StepRefusal("job \"\(jobID)\" (\(job.kind.name)) has no repositories to discover")
            }
            accepted.append(tag)
        }
        return (accepted, steps)
    }

    // MARK: Steps

    func imageSteps(
        _ jobID: String, source: ImageLocation, target: ImageLocation, mutation: Mutation?,
        platforms: [String]? = nil, referrers: Bool = false
    ) throws -> [NewStep] {
        let load = try step(jobID, .load, LoadInput(source: source.description), source: source.description)
        var steps = [load]
        var pushDependencies = [load.key]
        let mutation = mutation ?? Mutation()
        if !mutation.isEmpty || platforms != nil {
            let input = MutateInput(
                source: source.description, labels: mutation.labels, annotations: mutation.annotations,
                platforms: platforms)
            let mutate = try step(
                jobID, .mutate, input, dependsOn: [load.key], source: source.description,
                target: target.description)
            steps.append(mutate)
            pushDependencies.append(mutate.key)
        }
        let push = try step(
            jobID, .push, PushInput(source: source.description, target: target.description),
            dependsOn: pushDependencies, source: source.description, target: target.description)
        steps.append(push)
        if referrers {
            // After the image: find the artifacts that point at it and queue their copies.
            let input = DiscoverInput(source: source.description, referrersTarget: target.description)
            steps.append(
                try step(
                    jobID, .discover, input, dependsOn: pushDependencies + [push.key], source: source.description,
                    target: target.description))
        }
        return steps
    }

    private func deleteSteps(_ jobID: String, _ image: Reference, alongWith: [String]) throws -> [NewStep] {
        let name = ImageLocation.registry(image).description
        let others = alongWith.isEmpty ? nil : Array(Set(alongWith)).sorted()
        let load = try step(
            jobID, .load, LoadInput(source: name, missingIsGone: true, alongWith: others), source: name, target: name)
        let delete = try step(
            jobID, .delete, DeleteInput(image: name, alongWith: others), dependsOn: [load.key], target: name)
        return [load, delete]
    }

    func discover(_ jobID: String, _ source: ImageLocation) throws -> NewStep {
        try step(jobID, .discover, DiscoverInput(source: source.description), source: source.description)
    }

    func step<Input: Encodable>(
        _ jobID: String, _ kind: StepKind, _ input: Input, dependsOn: [String] = [], source: String? = nil,
        target: String? = nil
    ) throws -> NewStep {
        let data = try StepJSON.encode(input)
        return NewStep(
            key: Self.key(jobID, kind, input: data, subject: target ?? source ?? ""), jobID: jobID, kind: kind,
            input: data, maxAttempts: plan.defaults.retry.attempts, dependsOn: dependsOn, source: source,
            target: target)
    }

    /// `JOB/KIND/SUBJECT#HASH`: readable, and unique because the hash covers job, kind and input.
    static func key(_ jobID: String, _ kind: StepKind, input: Data, subject: String) -> String {
        var hashed = Data("\(jobID)\n\(kind.rawValue)\n".utf8)
        hashed.append(input)
        let hex = Digest.sha256(hashed).encoded
        return "\(jobID)/\(kind.rawValue)/\(subject)#\(hex.prefix(16))"
    }

    // MARK: Locations

    /// The one image of `source` (a repository or a tag-less layout) named `tag`.
    static func image(_ source: ImageLocation, tag: String) throws -> ImageLocation {
        switch source {
        case .repository(let repository): .registry(try repository.reference(tag: tag))
        case .layout(let directory, _, _): .layout(directory: directory, tag: tag, digest: nil)
        case .registry, .archive: source
        }
    }

    /// Where an image tagged `tag` goes when the job's target is `target`: a repository or a tag-less
    /// layout takes the source's tag; a target with a tag is used as it is.
    static func target(_ target: ImageLocation, forTag tag: String?) throws -> ImageLocation {
        switch target {
        case .repository(let repository):
            .registry(try repository.reference(tag: tag.flatMap { Reference.isValidTag($0) ? $0 : nil } ?? "latest"))
        case .layout(let directory, nil, nil):
            .layout(directory: directory, tag: tag, digest: nil)
        default:
            target
        }
    }
}
