import ByteStreams
import Foundation
import ImageTransports
import OCI
import Registry

/// Reads what a cleanup needs to know about a repository: each tag's digest, created date and children.
///
/// Reads manifests and configs only, never layers: one GET per tag, one per distinct child manifest of an
/// index, one per distinct config. Attestations and artifacts in an index are listed as children but not
/// read. At most `concurrency` requests are in flight.
public struct CleanupInventoryLoader: Sendable {
    public let concurrency: Int

    /// Dates before this are placeholders, not build times: reproducible builds (ko, bazel, nix) write
    /// 1970-01-01 and Go tools the year 1, and no container image was built before 2013.
    public static let earliestPlausibleCreated = Date(timeIntervalSince1970: 946_684_800)  // 2000-01-01T00:00:00Z

    public init(concurrency: Int = 8) {
        self.concurrency = max(1, concurrency)
    }

    /// Reads every tag of `source`, a repository that `repository` names in messages.
    ///
    /// A repository the registry does not know has no tags; a tag that disappears between listing and
    /// reading is left out; a child manifest or config the registry no longer has makes that date
    /// unknown. Other failures are thrown.
    public func load(repository: String, from source: any ImageSource) async throws -> CleanupInventory {
        // A repository without tags is unknown to some registries (docker-registry answers 404).
        let tags = try await Self.ifPresent { try await source.listTags() } ?? []
        let tagged = try await Self.boundedMap(tags, limit: concurrency) { tag in
            (tag: tag, manifest: try await Self.ifPresent { try await source.manifest(.tag(tag)) })
        }
        var nodes: [Digest: ManifestNode] = [:]
        var pending = tagged.compactMap(\.manifest)
        var depth = 0
        while !pending.isEmpty {
            guard depth <= ContentLimits.maxIndexDepth else {
                throw CleanupError(
                    "\(repository): indexes are nested more than \(ContentLimits.maxIndexDepth) deep")
            }
            var added: [ManifestNode] = []
            for manifest in pending where nodes[manifest.digest] == nil {
                let node = try ManifestNode(manifest, repository: repository)
                nodes[manifest.digest] = node
                added.append(node)
            }
            // Children not read yet, each once (a child may also be tagged, or listed by two indexes).
            var wanted: [Digest] = []
            for child in added.flatMap(\.childrenToRead) where nodes[child] == nil && !wanted.contains(child) {
                wanted.append(child)
            }
            pending = try await Self.boundedMap(wanted, limit: concurrency) { digest in
                try await Self.ifPresent { try await source.manifest(.digest(digest)) }
            }.compactMap { $0 }
            depth += 1
        }
        let configDescriptors = Dictionary(
            nodes.values.compactMap(\.configToRead).map { ($0.digest, $0) }, uniquingKeysWith: { first, _ in first })
        let configDates = try await Self.boundedMap(Array(configDescriptors.values), limit: concurrency) { config in
            (config.digest, try await Self.readCreated(config, from: source))
        }
        let dates = CreatedDates(
            nodes: nodes, configs: Dictionary(configDates, uniquingKeysWith: { first, _ in first }))
        let images = tagged.compactMap { tag, manifest -> CleanupTaggedImage? in
            guard let manifest else { return nil }
            let created = dates.created(of: manifest.digest, depth: 0)
            return CleanupTaggedImage(
                tag: tag, digest: manifest.digest, mediaType: manifest.mediaType, created: created.date,
                unknownCreatedReason: created.unknownReason, children: dates.descendants(of: manifest.digest, depth: 0))
        }
        return CleanupInventory(repository: repository, tags: images)
    }

    /// The config's `created`, or why it is unknown.
    private static func readCreated(_ config: Descriptor, from source: any ImageSource) async throws -> CreatedDate {
        let read = try await ifPresent {
            try await source.blob(config).readAll(limit: ContentLimits.configBytes)
        }
        guard let bytes = read else { return .unknown("config \(config.digest) is missing") }
        guard let parsed = try? ImageConfig(bytes: bytes) else {
            return .unknown("config \(config.digest) is not a valid image config")
        }
        guard let text = parsed.createdText else { return .unknown("config has no created date") }
        guard let date = parsed.created else { return .unknown("config created \"\(text)\" is not an RFC 3339 date") }
        guard date >= earliestPlausibleCreated else { return .unknown("config created \"\(text)\" is a placeholder") }
        return .known(date)
    }

    /// `nil` when the registry answers 404: the thing was deleted since it was listed.
    private static func ifPresent<Value>(_ body: () async throws -> Value) async throws -> Value? {
        do {
            return try await body()
        } catch let error as RegistryError where error.kind == .notFound {
            return nil
        }
    }

    /// `transform` over `inputs` with at most `limit` running at once; results in input order.
    private static func boundedMap<Input: Sendable, Output: Sendable>(
        _ inputs: [Input], limit: Int, _ transform: @escaping @Sendable (Input) async throws -> Output
    ) async throws -> [Output] {
        try await withThrowingTaskGroup(of: (Int, Output).self) { group in
            var results: [Output?] = Array(repeating: nil, count: inputs.count)
            var next = 0
            while next < inputs.count, next < limit {
                let index = next
                group.addTask { (index, try await transform(inputs[index])) }
                next += 1
            }
            while let (index, output) = try await group.next() {
                results[index] = output
                if next < inputs.count {
                    let index = next
                    group.addTask { (index, try await transform(inputs[index])) }
                    next += 1
                }
            }
            return results.compactMap { $0 }
        }
    }
}

/// A cleanup could not read or understand a repository.
public struct CleanupError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A created date, or why there is none.
enum CreatedDate: Sendable {
    case known(Date)
    case unknown(String)

    var date: Date? {
        if case .known(let date) = self { return date }
        return nil
    }

    var unknownReason: String? {
        if case .unknown(let reason) = self { return reason }
        return nil
    }
}

/// What the loader learned from one manifest.
enum ManifestNode: Sendable {
    /// An image whose config is an image config.
    case image(config: Descriptor)
    /// An index: every child, and whether each counts for the created date.
    case index(children: [Descriptor])
    /// A manifest without an image config or date: an artifact, a Docker schema 1 manifest.
    case other(reason: String)

    init(_ manifest: ManifestData, repository: String) throws {
        if manifest.mediaType.isSchema1 {
            self = .other(reason: "Docker schema 1 manifest")
            return
        }
        let document: ManifestDocument
        do {
            document = try manifest.document()
        } catch {
            throw CleanupError(
                "\(repository): manifest \(manifest.digest) cannot be read, so the cleanup cannot tell what it "
                    + "refers to: \(error)")
        }
        switch document {
        case .index(let index):
            self = .index(children: index.manifests)
        case .image(let image) where image.config.mediaType.isConfig:
            self = .image(config: image.config)
        case .image(let image):
            self = .other(reason: "artifact with config type \(image.config.mediaType)")
        }
    }

    /// Children whose manifests are read: images and nested indexes, not attestations.
    var childrenToRead: [Digest] {
        guard case .index(let children) = self else { return [] }
        return children.filter { $0.mediaType.isManifest && !$0.isAttestation }.map(\.digest)
    }

    var configToRead: Descriptor? {
        if case .image(let config) = self { return config }
        return nil
    }
}

/// Created dates and descendants of the manifests a loader read.
struct CreatedDates {
    let nodes: [Digest: ManifestNode]
    let configs: [Digest: CreatedDate]

    /// An image's config date; an index's newest image date.
    func created(of digest: Digest, depth: Int) -> CreatedDate {
        guard depth <= ContentLimits.maxIndexDepth, let node = nodes[digest] else {
            return .unknown("manifest \(digest) is missing")
        }
        switch node {
        case .image(let config):
            return configs[config.digest] ?? .unknown("config \(config.digest) was not read")
        case .other(let reason):
            return .unknown(reason)
        case .index:
            let dates = node.childrenToRead.compactMap { created(of: $0, depth: depth + 1).date }
            guard let newest = dates.max() else { return .unknown("no image in the index has a known created date") }
            return .known(newest)
        }
    }

    /// Every manifest digest an index refers to, at any depth.
    func descendants(of digest: Digest, depth: Int) -> Set<Digest> {
        guard depth <= ContentLimits.maxIndexDepth, case .index(let children) = nodes[digest] else { return [] }
        var result: Set<Digest> = []
        for child in children {
            result.insert(child.digest)
            result.formUnion(descendants(of: child.digest, depth: depth + 1))
        }
        return result
    }
}
