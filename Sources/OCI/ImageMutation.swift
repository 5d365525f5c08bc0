import Foundation

/// Labels and annotations to add to an image or to every image of an index.
///
/// Labels go into the image config (`config.Labels`), annotations into the image manifest and,
/// for an index, into the index itself and every nested index. Existing keys are overwritten in
/// place; new keys are appended in key order, so the same input always gives the same bytes.
/// Everything else is kept as read: unknown fields, number literals, the order and count of an
/// index's children, and children that are not images (artifacts, attestations). A config is
/// rewritten only when labels change it, and when nothing changes the original bytes come back.
public struct ImageMutation: Hashable, Sendable {
    public let labels: [String: String]
    public let annotations: [String: String]

    /// Nested indexes deeper than this are refused; the same limit as `ContentLimits.maxIndexDepth`.
    public static let maxIndexDepth = ContentLimits.maxIndexDepth

    public init(labels: [String: String] = [:], annotations: [String: String] = [:]) {
        self.labels = labels
        self.annotations = annotations
    }

    public var isEmpty: Bool { labels.isEmpty && annotations.isEmpty }

    /// Applies the mutation to the manifest or index in `rootBytes`.
    ///
    /// `fetch` returns the bytes of a child manifest or config; they are checked against the
    /// descriptor's digest and size before use. Layers are never fetched.
    public func apply(
        toManifest rootBytes: Data,
        mediaType: MediaType?,
        fetch: @escaping @Sendable (Descriptor) async throws -> Data
    ) async throws -> MutationResult {
        let document = try ManifestDocument.parse(rootBytes, declaredMediaType: mediaType)
        var run = MutationRun(mutation: self, fetch: fetch)
        let outcome: MutationRun.Outcome
        switch document {
        case .image(let manifest):
            if manifest.isArtifact && !labels.isEmpty {
                throw OCIError(
                    .mutationFailed,
                    "cannot add labels to manifest \(manifest.digest): it is an artifact whose config is "
                        + "\(manifest.config.mediaType), not an image config")
            }
            outcome = try await run.mutateImage(manifest)
        case .index(let index):
            outcome = try await run.mutateIndex(index, depth: 1)
        }
        return MutationResult(
            bytes: outcome.document.bytes,
            mediaType: outcome.document.mediaType,
            digest: outcome.document.digest,
            newBlobs: run.newBlobs,
            newManifests: run.newManifests,
            changed: outcome.changed)
    }
}

/// What a mutation produced; `bytes` is the root to push or write.
public struct MutationResult: Sendable {
    public let bytes: Data
    public let mediaType: MediaType
    public let digest: Digest
    /// New configs, to upload or write before any manifest.
    public let newBlobs: [(descriptor: Descriptor, bytes: Data)]
    /// New child manifests and nested indexes, children before parents; the root is not included.
    public let newManifests: [(descriptor: Descriptor, bytes: Data)]
    /// False when the mutation changed nothing: `bytes` and `digest` are then the original ones.
    public let changed: Bool

    /// Media type, digest and size of the root bytes.
    public var descriptor: Descriptor {
        Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }
}

/// State of one `apply` call: fetched children are mutated once per digest, new content is
/// collected once per digest, in the order it must be stored.
private struct MutationRun {
    struct Outcome {
        let document: ManifestDocument
        let changed: Bool
    }

    let mutation: ImageMutation
    let fetch: @Sendable (Descriptor) async throws -> Data
    var newBlobs: [(descriptor: Descriptor, bytes: Data)] = []
    var newManifests: [(descriptor: Descriptor, bytes: Data)] = []
    private var storedDigests: Set<Digest> = []
    private var childOutcomes: [Digest: Outcome] = [:]

    init(mutation: ImageMutation, fetch: @escaping @Sendable (Descriptor) async throws -> Data) {
        self.mutation = mutation
        self.fetch = fetch
    }

    mutating func mutateImage(_ manifest: ImageManifest) async throws -> Outcome {
        guard !mutation.isEmpty else { return Outcome(document: .image(manifest), changed: false) }
        var json = manifest.json
        if !mutation.labels.isEmpty, let newConfig = try await labelledConfig(of: manifest) {
            let configDescriptor = manifest.config.pointing(to: newConfig.digest, size: newConfig.size)
            json["config"] = configDescriptor.jsonValue
            record(blob: configDescriptor, bytes: newConfig.bytes)
        }
        if !mutation.annotations.isEmpty { json["annotations"] = .object(merged(json["annotations"])) }
        guard json != manifest.json else { return Outcome(document: .image(manifest), changed: false) }
        let changed = try ImageManifest(encoding: json, mediaType: manifest.mediaType)
        return Outcome(document: .image(changed), changed: true)
    }

    mutating func mutateIndex(_ index: ImageIndex, depth: Int) async throws -> Outcome {
        guard !mutation.isEmpty else { return Outcome(document: .index(index), changed: false) }
        guard depth <= ImageMutation.maxIndexDepth else {
            throw OCIError(
                .mutationFailed,
                "index \(index.digest): indexes are nested more than \(ImageMutation.maxIndexDepth) deep")
        }
        var children: [JSONValue] = []
        for child in index.manifests {
            guard let outcome = try await mutateChild(child, depth: depth) else {
                children.append(child.jsonValue)
                continue
            }
            children.append(child.pointing(to: outcome.document.digest, size: outcome.document.size).jsonValue)
        }
        var json = index.json
        json["manifests"] = .array(children)
        if !mutation.annotations.isEmpty { json["annotations"] = .object(merged(json["annotations"])) }
        guard json != index.json else { return Outcome(document: .index(index), changed: false) }
        let changed = try ImageIndex(encoding: json, mediaType: index.mediaType)
        return Outcome(document: .index(changed), changed: true)
    }

    /// The changed child, or nil when the child is kept as it is (not an image, an attestation, or
    /// unchanged).
    private mutating func mutateChild(_ child: Descriptor, depth: Int) async throws -> Outcome? {
        guard child.mediaType.isManifest, !child.isAttestation else { return nil }
        if let known = childOutcomes[child.digest] { return known.changed ? known : nil }
        let bytes = try await fetchVerified(child, what: "manifest \(child.digest)")
        let outcome: Outcome
        if child.mediaType.isIndex {
            outcome = try await mutateIndex(try ImageIndex(bytes: bytes, mediaType: child.mediaType), depth: depth + 1)
        } else {
            let manifest = try ImageManifest(bytes: bytes, mediaType: child.mediaType)
            // Artifacts (signatures, SBOMs, attestations) are not images: they stay byte-identical.
            outcome =
                manifest.isArtifact
                ? Outcome(document: .image(manifest), changed: false) : try await mutateImage(manifest)
        }
        childOutcomes[child.digest] = outcome
        guard outcome.changed else { return nil }
        let document = outcome.document
        if storedDigests.insert(document.digest).inserted {
            newManifests.append(
                (
                    Descriptor(mediaType: document.mediaType, digest: document.digest, size: document.size),
                    document.bytes
                ))
        }
        return outcome
    }

    /// The config with the labels merged in, or nil when it already has them all.
    private func labelledConfig(of manifest: ImageManifest) async throws -> ImageConfig? {
        let bytes = try await fetchVerified(
            manifest.config, what: "config \(manifest.config.digest) of manifest \(manifest.digest)")
        let config = try ImageConfig(bytes: bytes)
        var json = config.json
        var runConfig: JSONObject
        switch json["config"] {
        case .none, .some(.null): runConfig = JSONObject()
        case .some(.object(let object)): runConfig = object
        case .some: throw OCIError(.invalidConfig, "config \(config.digest): field \"config\" must be an object")
        }
        runConfig["Labels"] = .object(merged(runConfig["Labels"], with: mutation.labels))
        json["config"] = .object(runConfig)
        guard json != config.json else { return nil }
        return try ImageConfig(encoding: json)
    }

    private func merged(_ existing: JSONValue?) -> JSONObject {
        merged(existing, with: mutation.annotations)
    }

    private func merged(_ existing: JSONValue?, with entries: [String: String]) -> JSONObject {
        var object = existing?.objectValue ?? JSONObject()
        object.merge(strings: entries)
        return object
    }

    private mutating func record(blob descriptor: Descriptor, bytes: Data) {
        guard storedDigests.insert(descriptor.digest).inserted else { return }
        newBlobs.append((descriptor, bytes))
    }

    /// `what` names the content with its digest (`config sha256:… of manifest sha256:…`).
    private func fetchVerified(_ descriptor: Descriptor, what: String) async throws -> Data {
        guard descriptor.digest.algorithm == "sha256" else {
            throw OCIError(.invalidDigest, "\(what): cannot be verified, only sha256 digests are supported")
        }
        let limit = descriptor.mediaType.isManifest ? ContentLimits.manifestBytes : ContentLimits.configBytes
        guard descriptor.size <= Int64(limit) else {
            throw OCIError(.tooLarge, "\(what) is \(descriptor.size) bytes, over the limit of \(limit)")
        }
        let bytes = try await fetch(descriptor)
        guard Int64(bytes.count) == descriptor.size else {
            throw OCIError(.sizeMismatch, "\(what): expected \(descriptor.size) bytes, got \(bytes.count)")
        }
        let actual = Digest.sha256(bytes)
        guard actual == descriptor.digest else {
            throw OCIError(.digestMismatch, "\(what): content has digest \(actual)")
        }
        return bytes
    }
}
