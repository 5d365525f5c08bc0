import Foundation
import ImageTransports
import OCI
import Registry
import TestSupport
import Testing

/// Copies to and from the real docker-registry instances, checked byte for byte and by skopeo.
@Suite struct RegistryRoundTripTests {
    @Test(arguments: [TestRegistryKind.plain, .tls, .token])
    func layoutToRegistryAndBackIsByteIdentical(kind: TestRegistryKind) async throws {
        let image = try OCITestImages.image(seed: 11, layerCount: 3, layerSize: 40_000)
        let index = try OCITestImages.index(seed: 21, layerSize: 3_000)
        let layout = try LayoutScratchDirectory()
        try LayoutFixtures.writeLayout(
            [LayoutFixtures.Entry(image, refName: "single"), LayoutFixtures.Entry(index, refName: "multi")],
            to: layout.path)
        let session = try RegistryTestSessions.session(kind, monolithicLimit: 50_000)
        let address = try TestServices.registry(kind).address
        let repository = RegistryTestSessions.uniqueRepository()

        for (tag, expected) in [("single", image), ("multi", index)] {
            let destination = RegistryRepository(
                session: session, reference: try Reference(parsing: "\(address)/\(repository):\(tag)"))
            let report = try await ImageCopier().copy(
                from: try OCILayoutSource(directory: layout.path, tag: tag), to: destination, tag: tag)
            #expect(report.digest == expected.rootDigest)
            #expect(report.blobsUploaded == expected.blobs.count)

            // Read back through ocibatch: the same bytes, and the tag names the same digest.
            #expect(try await destination.rootManifest().bytes == expected.rootBytes)
            #expect(try await destination.manifestDigest(tag: tag) == expected.rootDigest)
            // skopeo, an independent client, agrees on the manifest bytes and so on the digest.
            let raw = try await RegistryTestSessions.skopeoRawManifest(kind, "\(address)/\(repository):\(tag)")
            #expect(Digest.sha256(raw) == expected.rootDigest)
            for child in expected.childManifests {
                let childRaw = try await RegistryTestSessions.skopeoRawManifest(
                    kind, "\(address)/\(repository)@\(child.descriptor.digest)")
                #expect(childRaw == child.bytes)
            }

            // And back to a fresh layout: every blob and manifest byte-identical.
            let back = try LayoutScratchDirectory()
            let source = RegistryRepository(
                session: session, reference: try Reference(parsing: "\(address)/\(repository):\(tag)"))
            let backReport = try await ImageCopier().copy(
                from: source, to: try OCILayoutDestination(directory: back.path), tag: tag)
            #expect(backReport.digest == expected.rootDigest)
            for (digest, bytes) in expected.allContent {
                let path = LayoutFixtures.blobPath(digest, layout: back.path)
                #expect(FileManager.default.contents(atPath: path) == bytes, "blob \(digest)")
            }
        }
    }

    @Test func indexRoundTripsBetweenRegistriesWithAndWithoutMount() async throws {
        let index = try OCITestImages.index(seed: 31, layerSize: 5_000)
        let layout = try LayoutScratchDirectory()
        try LayoutFixtures.writeLayout([LayoutFixtures.Entry(index, refName: "v1")], to: layout.path)
        let plain = try TestServices.registry(.plain).address
        let plain2 = try TestServices.registry(.plain2).address
        var configuration = RegistryConfiguration(insecureRegistries: [plain, plain2])
        configuration.uploadChunkSize = 4_096  // exercise chunked PATCH on the way
        let session = RegistrySession(configuration: configuration)
        let first = try Reference(parsing: "\(plain)/\(RegistryTestSessions.uniqueRepository()):v1")
        _ = try await ImageCopier().copy(
            from: try OCILayoutSource(directory: layout.path, tag: "v1"),
            to: RegistryRepository(session: session, reference: first), tag: "v1")

        // Same registry, another repository: every blob is mounted, none uploaded.
        let mounted = try Reference(parsing: "\(plain)/\(RegistryTestSessions.uniqueRepository()):v1")
        let mountReport = try await ImageCopier().copy(
            from: RegistryRepository(session: session, reference: first),
            to: RegistryRepository(session: session, reference: mounted), tag: "v1")
        #expect(mountReport.digest == index.rootDigest)
        #expect(mountReport.blobsMounted == index.blobs.count)
        #expect(mountReport.blobsUploaded == 0)

        // Another registry: uploaded, streamed from the first without a disk copy.
        let other = try Reference(parsing: "\(plain2)/\(RegistryTestSessions.uniqueRepository()):v1")
        let copyReport = try await ImageCopier().copy(
            from: RegistryRepository(session: session, reference: mounted),
            to: RegistryRepository(session: session, reference: other), tag: "v1")
        #expect(copyReport.blobsUploaded == index.blobs.count)
        #expect(copyReport.blobsMounted == 0)
        for reference in [mounted, other] {
            let kind: TestRegistryKind = reference.registry == plain ? .plain : .plain2
            let raw = try await RegistryTestSessions.skopeoRawManifest(kind, reference.description)
            #expect(raw == index.rootBytes)
        }

        // A second copy finds everything in place.
        let again = try await ImageCopier().copy(
            from: RegistryRepository(session: session, reference: mounted),
            to: RegistryRepository(session: session, reference: other), tag: "v1")
        #expect(again.skipped)
    }

    @Test func tagsDeleteAndCatalog() async throws {
        let session = try RegistryTestSessions.session(.plain)
        let address = try TestServices.registry(.plain).address
        let repository = RegistryTestSessions.uniqueRepository()
        let image = try OCITestImages.image(seed: 41)
        let layout = try LayoutScratchDirectory()
        try LayoutFixtures.writeLayout([LayoutFixtures.Entry(image, refName: "a")], to: layout.path)
        for tag in ["a", "b", "c"] {
            _ = try await ImageCopier().copy(
                from: try OCILayoutSource(directory: layout.path, tag: "a"),
                to: RegistryRepository(
                    session: session, reference: try Reference(parsing: "\(address)/\(repository):\(tag)")),
                tag: tag)
        }
        let client = session.client(for: address)
        #expect(try await client.listTags(repository) == ["a", "b", "c"])
        #expect(try await client.catalog(pageSize: 2).contains(repository))

        // Delete by tag resolves the digest first; all tags on that digest go with it.
        let deleted = try await client.deleteManifest(repository, .tag("b"))
        #expect(deleted == image.rootDigest)
        #expect(try await client.headManifest(repository, .digest(image.rootDigest)) == nil)
        #expect(try await client.listTags(repository).isEmpty)
    }

    @Test func tokensAreFetchedOncePerScopeAndShared() async throws {
        let address = try TestServices.registry(.token).address
        let repository = RegistryTestSessions.uniqueRepository("token-cache")
        let image = try OCITestImages.image(seed: 51)
        let layout = try LayoutScratchDirectory()
        try LayoutFixtures.writeLayout([LayoutFixtures.Entry(image, refName: "v1")], to: layout.path)
        let pushSession = try RegistryTestSessions.session(.token)
        _ = try await ImageCopier().copy(
            from: try OCILayoutSource(directory: layout.path, tag: "v1"),
            to: RegistryRepository(
                session: pushSession, reference: try Reference(parsing: "\(address)/\(repository):v1")),
            tag: "v1")

        // The whole push (HEADs, uploads, manifest PUT) ran on one push token.
        let before = try TestServices.tokenServerStats().issued(for: repository)
        #expect(before == 1)
        let session = try RegistryTestSessions.session(.token)
        let client = session.client(for: address)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    let head = try await client.headManifest(repository, .tag("v1"))
                    #expect(head?.digest == image.rootDigest)
                }
            }
            try await group.waitForAll()
        }
        let after = try TestServices.tokenServerStats().issued(for: repository)
        #expect(after - before == 1)
        #expect(await session.tokens.fetchCount == 1)
    }

    @Test func identityTokenUsesTheOAuthRefreshGrant() async throws {
        let address = try TestServices.registry(.token).address
        let session = try RegistryTestSessions.session(
            .token, credentials: Credentials(identityToken: try TestServices.tokenRefreshToken))
        let before = try TestServices.tokenServerStats().issuedOAuth
        let repository = RegistryTestSessions.uniqueRepository("oauth")
        #expect(try await session.client(for: address).headManifest(repository, .tag("none")) == nil)
        #expect(try TestServices.tokenServerStats().issuedOAuth > before)
    }
}
