import ByteStreams
import Engine
import Foundation
import ImageTransports
import OCI
import Registry
import TestSupport
import Testing

/// Building inventories: dates from configs, newest child for indexes, unknown dates, children, reads.
@Suite struct CleanupInventoryLoaderTests {
    /// A repository with every case the loader must handle, and its digests by name.
    static func sampleRepository() -> (CleanupTestRepository, [String: Digest]) {
        var content = CleanupTestRepository()
        let old = content.addImage(seed: 1, created: "2024-01-01T00:00:00Z")
        let new = content.addImage(seed: 2, created: "2025-03-01T12:30:00.5+02:00")
        let amd64 = content.addImage(seed: 3, created: "2024-06-01T00:00:00Z")
        let arm64 = content.addImage(seed: 4, created: "2024-09-01T00:00:00Z", architecture: "arm64")
        // An attestation dated later than every image: it must not count for the index.
        let attestation = content.addImage(seed: 5, created: "2030-01-01T00:00:00Z", architecture: "unknown")
        let multi = content.addIndex([
            CleanupTestRepository.child(amd64), CleanupTestRepository.child(arm64, architecture: "arm64"),
            CleanupTestRepository.child(attestation, attestation: true),
        ])
        let extra = content.addImage(seed: 6, created: "2025-01-01T00:00:00Z")
        let nested = content.addIndex([
            Descriptor(mediaType: multi.mediaType, digest: multi.digest, size: multi.size),
            CleanupTestRepository.child(extra),
        ])
        let epoch = content.addImage(seed: 7, created: "1970-01-01T00:00:00Z")
        let undated = content.addImage(seed: 8, created: nil)
        let garbled = content.addImage(seed: 9, created: "last tuesday")
        let sbom = content.addArtifact(seed: 10)
        let onlyAttestation = content.addIndex([CleanupTestRepository.child(attestation, attestation: true)])
        for (tag, manifest) in [
            ("old", old), ("new", new), ("new-alias", new), ("multi", multi), ("multi-arm64", arm64),
            ("nested", nested), ("epoch", epoch), ("undated", undated), ("garbled", garbled), ("sbom", sbom),
            ("only-attestation", onlyAttestation),
        ] {
            content.tag(tag, manifest)
        }
        let digests = [
            "old": old, "new": new, "amd64": amd64, "arm64": arm64, "attestation": attestation, "multi": multi,
            "extra": extra, "nested": nested, "epoch": epoch, "undated": undated, "garbled": garbled, "sbom": sbom,
            "onlyAttestation": onlyAttestation,
        ].mapValues(\.digest)
        return (content, digests)
    }

    static func date(_ text: String) -> Date? { ISO8601DateFormatter().date(from: text) }

    /// Checks an inventory loaded from `sampleRepository`, wherever it was pushed.
    static func checkSample(_ inventory: CleanupInventory, digests: [String: Digest]) throws {
        let byTag = Dictionary(uniqueKeysWithValues: inventory.tags.map { ($0.tag, $0) })
        #expect(
            byTag.keys.sorted() == [
                "epoch", "garbled", "multi", "multi-arm64", "nested", "new", "new-alias", "old", "only-attestation",
                "sbom",
                "undated",
            ])
        let old = try #require(byTag["old"])
        #expect(old.digest == digests["old"])
        #expect(old.mediaType == .ociManifest)
        #expect(old.created == date("2024-01-01T00:00:00Z"))
        #expect(old.children.isEmpty)
        #expect(byTag["new"]?.created == date("2025-03-01T10:30:00Z")?.addingTimeInterval(0.5))
        #expect(byTag["new-alias"]?.digest == digests["new"])

        let multi = try #require(byTag["multi"])
        #expect(multi.mediaType == .ociIndex)
        #expect(multi.created == date("2024-09-01T00:00:00Z"))
        #expect(multi.children == Set([digests["amd64"], digests["arm64"], digests["attestation"]].compactMap { $0 }))
        #expect(byTag["multi-arm64"]?.digest == digests["arm64"])

        let nested = try #require(byTag["nested"])
        #expect(nested.created == date("2025-01-01T00:00:00Z"))
        #expect(
            nested.children
                == Set(
                    [digests["multi"], digests["amd64"], digests["arm64"], digests["attestation"], digests["extra"]]
                        .compactMap { $0 }))

        for (tag, reason) in [
            ("epoch", "config created \"1970-01-01T00:00:00Z\" is a placeholder"),
            ("undated", "config has no created date"),
            ("garbled", "config created \"last tuesday\" is not an RFC 3339 date"),
            ("sbom", "artifact with config type application/vnd.oci.empty.v1+json"),
            ("only-attestation", "no image in the index has a known created date"),
        ] {
            #expect(byTag[tag]?.created == nil, "\(tag)")
            #expect(byTag[tag]?.unknownCreatedReason == reason, "\(tag)")
        }
    }

    @Test func readsDatesDigestsAndChildren() async throws {
        let (content, digests) = Self.sampleRepository()
        let source = CleanupFakeSource(content)
        let inventory = try await CleanupInventoryLoader().load(repository: "fake/app", from: source)
        #expect(inventory.repository == "fake/app")
        try Self.checkSample(inventory, digests: digests)
    }

    @Test func readsOnlyManifestsAndConfigsEachOnce() async throws {
        let (content, _) = Self.sampleRepository()
        let source = CleanupFakeSource(content)
        _ = try await CleanupInventoryLoader().load(repository: "fake/app", from: source)
        let blobReads = await source.log.blobs
        // Configs of the images read: not the attestation's, the artifact's, or any layer.
        let configs = Set(
            content.manifests.compactMap { manifest -> Digest? in
                guard case .image(let image) = try? manifest.document(), image.config.mediaType.isConfig else {
                    return nil
                }
                return image.config.digest
            })
        #expect(blobReads.count == Set(blobReads).count)
        #expect(Set(blobReads).isSubset(of: configs))
        #expect(blobReads.count == configs.count - 1)
        let manifestReads = await source.log.manifests
        #expect(manifestReads.count == Set(manifestReads).count)
        // Eleven tags, then amd64 and extra by digest; multi and arm64 were already read through their tags.
        #expect(manifestReads.count == 11 + 2)
    }

    @Test(arguments: [1, 3])
    func boundsConcurrency(limit: Int) async throws {
        var content = CleanupTestRepository()
        for seed in 1...20 {
            content.tag("t\(seed)", content.addImage(seed: UInt64(seed), created: "2024-01-01T00:00:00Z"))
        }
        let source = CleanupFakeSource(content)
        let inventory = try await CleanupInventoryLoader(concurrency: limit).load(repository: "fake/app", from: source)
        #expect(inventory.tags.count == 20)
        #expect(await source.log.maximumInFlight <= limit)
    }

    @Test func tagGoneSinceListingIsLeftOut() async throws {
        var content = CleanupTestRepository()
        content.tag("stays", content.addImage(seed: 1, created: "2024-01-01T00:00:00Z"))
        content.tag("goes", content.addImage(seed: 2, created: "2024-01-01T00:00:00Z"))
        let source = CleanupFakeSource(content, vanishedTags: ["goes"])
        let inventory = try await CleanupInventoryLoader().load(repository: "fake/app", from: source)
        #expect(inventory.tags.map(\.tag) == ["stays"])
    }

    @Test func missingChildOrConfigMakesTheDateUnknown() async throws {
        var content = CleanupTestRepository()
        let present = content.addImage(seed: 1, created: "2024-01-01T00:00:00Z")
        var elsewhere = CleanupTestRepository()
        let missing = elsewhere.addImage(seed: 2, created: "2025-01-01T00:00:00Z")
        content.tag("dangling", content.addIndex([CleanupTestRepository.child(missing)]))
        content.tag(
            "partial", content.addIndex([CleanupTestRepository.child(present), CleanupTestRepository.child(missing)]))
        let inventory = try await CleanupInventoryLoader().load(
            repository: "fake/app", from: CleanupFakeSource(content))
        let byTag = Dictionary(uniqueKeysWithValues: inventory.tags.map { ($0.tag, $0) })
        #expect(byTag["dangling"]?.created == nil)
        #expect(byTag["dangling"]?.children == [missing.digest])
        #expect(byTag["partial"]?.created == Self.date("2024-01-01T00:00:00Z"))
    }

    @Test func unreadableManifestStopsTheCleanup() async throws {
        var content = CleanupTestRepository()
        content.tag("ok", content.addImage(seed: 1, created: "2024-01-01T00:00:00Z"))
        let broken = ManifestData(bytes: Data("{\"schemaVersion\":2}".utf8), mediaType: "application/octet-stream")
        let source = CleanupBrokenSource(base: CleanupFakeSource(content), brokenTag: "broken", manifest: broken)
        let error = await #expect(throws: CleanupError.self) {
            try await CleanupInventoryLoader().load(repository: "fake/app", from: source)
        }
        #expect(error?.description.hasPrefix("fake/app: manifest \(broken.digest) cannot be read") == true)
    }

    // MARK: the real registry

    @Test func readsARepositoryPushedToTheRegistry() async throws {
        let address = try TestServices.registry(.plain).address
        let session = RegistrySession(configuration: RegistryConfiguration(insecureRegistries: [address]))
        let name = "cleanup-tests/\(UUID().uuidString.lowercased().prefix(12))"
        let repository = RegistryRepository(session: session, reference: try Reference(parsing: "\(address)/\(name)"))
        let (content, digests) = Self.sampleRepository()
        try await content.push(to: repository)

        let inventory = try await CleanupInventoryLoader().load(repository: "\(address)/\(name)", from: repository)
        try Self.checkSample(inventory, digests: digests)

        // The policy on what the registry holds: keep the nested index, delete what is older than 200 days.
        let now = try #require(Self.date("2025-06-01T00:00:00Z"))
        let decision = try CleanupPolicy(
            keep: CleanupKeepRules(tags: ["nested"]),
            delete: CleanupDeleteRules(olderThan: PlanDuration(seconds: 200 * 86_400))
        ).decide(inventory, now: now)
        // "old" (2024-01-01) goes; "multi" (2024-09-01) is inside the kept nested index; "multi-arm64" too.
        #expect(decision.deletions.map(\.tag) == ["old"])
        #expect(decision.deletions.first?.digest == digests["old"])
        #expect(Set(decision.notRemovable.map(\.tag)) == ["multi", "multi-arm64"])
    }

    @Test func emptyRepositoryHasNoTags() async throws {
        let address = try TestServices.registry(.plain).address
        let session = RegistrySession(configuration: RegistryConfiguration(insecureRegistries: [address]))
        let name = "cleanup-tests/\(UUID().uuidString.lowercased().prefix(12))"
        let repository = RegistryRepository(session: session, reference: try Reference(parsing: "\(address)/\(name)"))
        var content = CleanupTestRepository()
        _ = content.addImage(seed: 1, created: "2024-01-01T00:00:00Z")
        try await content.push(to: repository)  // an untagged manifest only
        let inventory = try await CleanupInventoryLoader().load(repository: name, from: repository)
        #expect(inventory.tags.isEmpty)
    }
}

/// A source that serves one tag's manifest as bytes no parser accepts.
struct CleanupBrokenSource: ImageSource {
    let base: CleanupFakeSource
    let brokenTag: String
    let manifest: ManifestData

    var displayName: String { base.displayName }
    func listTags() async throws -> [String] { try await base.listTags() + [brokenTag] }
    func rootManifest() async throws -> ManifestData { try await base.rootManifest() }
    func manifest(_ reference: ManifestReference) async throws -> ManifestData {
        reference == .tag(brokenTag) ? manifest : try await base.manifest(reference)
    }
    func blob(_ descriptor: Descriptor) async throws -> any ByteSource { try await base.blob(descriptor) }
}
