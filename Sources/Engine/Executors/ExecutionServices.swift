import Foundation
import ImageTransports
import OCI
import Queue
import Registry

/// What the executors of one run share: the registry session (through the endpoints), the deleter,
/// the queue (to read the results of dependencies) and the planner (to expand discovered tags).
public struct ExecutionServices: Sendable {
    public let endpoints: ImageEndpoints
    public let deleter: RegistryDeleter
    public let store: any QueueStore
    public let planner: Planner

    public init(session: RegistrySession, store: any QueueStore, planner: Planner) {
        endpoints = ImageEndpoints(session: session)
        deleter = RegistryDeleter(session: session)
        self.store = store
        self.planner = planner
    }

    var dependencies: DependencyResults { DependencyResults(store: store) }

    /// `location` opened at exactly `digest`, whatever its tag points at now.
    func pinnedSource(_ location: ImageLocation, at digest: Digest) async throws -> any ImageSource {
        switch location {
        case .registry(let reference):
            return RegistryRepository(session: endpoints.session, reference: reference.withDigest(digest))
        case .layout(let directory, let tag, _):
            return try await endpoints.openSource(.layout(directory: directory, tag: tag, digest: digest))
        case .archive, .repository:
            let source = try await endpoints.openSource(location)
            let root = try await source.rootManifest()
            guard root.digest == digest else {
                throw StepRefusal("\(location) changed since it was loaded: it holds \(root.digest), not \(digest)")
            }
            return source
        }
    }

    /// The digest a `load` result pinned.
    static func pinnedDigest(_ loaded: LoadResult, of location: String) throws -> Digest {
        guard let text = loaded.digest, let digest = try? Digest(parsing: text) else {
            throw StepRefusal("the load step of \(location) recorded no digest")
        }
        return digest
    }
}

extension ClaimedStep {
    /// The step's input, decoded.
    func decodedInput<Value: Decodable>(_ type: Value.Type) throws -> Value {
        try StepJSON.decode(type, from: input, what: "the input of step \(id) (\(kind.rawValue))")
    }
}
