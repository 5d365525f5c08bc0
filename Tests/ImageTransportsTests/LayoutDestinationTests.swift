import ByteStreams
import Foundation
import OCI
import TestSupport
import Testing

@testable import ImageTransports

/// How a layout destination merges names, stages its writes, and trusts (or repairs) what it holds.
struct LayoutDestinationTests {
    /// A layout holding `image` alone, untagged, at `scratch/name`.
    static func sourceLayout(_ image: OCITestImage, _ scratch: LayoutScratchDirectory, _ name: String) throws -> String
    {
        let directory = scratch.join(name)
        try LayoutFixtures.writeLayout([.init(image)], to: directory)
        return directory
    }

    static func copy(_ image: OCITestImage, _ scratch: LayoutScratchDirectory, to target: String, tag: String?)
        async throws -> CopyReport
    {
        let source = try sourceLayout(image, scratch, "source-\(image.rootDigest.encoded.prefix(12))")
        return try await ImageCopier().copy(
            from: try OCILayoutSource(directory: source), to: try OCILayoutDestination(directory: target), tag: tag)
    }

    static func refNames(_ layout: String) throws -> [String?] {
        try CopyTests.indexEntries(layout).map { $0.annotations?[LayoutFixtures.refNameAnnotation] }
    }

    @Test func aBareTagReplacesOnlyTheEntryWithExactlyThatName() async throws {
        let scratch = try LayoutScratchDirectory()
        let images = try (1...4).map { try OCITestImages.image(seed: UInt64(60 + $0)) }
        let target = scratch.join("layout")
        try LayoutFixtures.writeLayout(
            [.init(images[0], refName: "example.com/app:v1"), .init(images[1], refName: "example.com/other:v1")],
            to: target)

        _ = try await Self.copy(images[2], scratch, to: target, tag: "v1")
        #expect(try Self.refNames(target) == ["example.com/app:v1", "example.com/other:v1", "v1"])
        #expect(
            try CopyTests.indexEntries(target).map(\.digest) == [
                images[0].rootDigest, images[1].rootDigest, images[2].rootDigest,
            ])

        // A full reference name replaces only its own entry, in place.
        _ = try await Self.copy(images[3], scratch, to: target, tag: "example.com/app:v1")
        #expect(try Self.refNames(target) == ["example.com/app:v1", "example.com/other:v1", "v1"])
        #expect(
            try CopyTests.indexEntries(target).map(\.digest) == [
                images[3].rootDigest, images[1].rootDigest, images[2].rootDigest,
            ])
        let written = try OCILayoutSource(directory: target, tag: "example.com/app:v1")
        #expect(try await written.rootManifest().digest == images[3].rootDigest)
    }

    @Test func aTagAtTheSameDigestUnderAnotherNameIsNotASkip() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 70)
        let target = scratch.join("layout")
        try LayoutFixtures.writeLayout([.init(image, refName: "example.com/app:v1")], to: target)
        let report = try await Self.copy(image, scratch, to: target, tag: "v1")
        #expect(!report.skipped)
        #expect(try Self.refNames(target) == ["example.com/app:v1", "v1"])
    }

    @Test(arguments: ["-bad", "a//b", "a..b", "tag with space", "", "v1/", "ü"])
    func refusesNamesOutsideTheLayoutGrammar(name: String) async throws {
        let scratch = try LayoutScratchDirectory()
        let error = await #expect(throws: TransportError.self) {
            try await Self.copy(try OCITestImages.image(seed: 71), scratch, to: scratch.join("layout"), tag: name)
        }
        #expect(error?.kind == .invalidInput)
        #expect(!FileManager.default.fileExists(atPath: scratch.join("layout")))
    }

    @Test(arguments: ["v1", "example.com/app:v1", "localhost:5000/a/b@x", "a--b", "a+b.c_d"])
    func acceptsNamesInTheLayoutGrammar(name: String) {
        #expect(LayoutRefName.isValid(name))
    }

    /// A source that, whenever a blob is asked for, records what the layout and its parent hold.
    final class ObservingSource: ImageSource, @unchecked Sendable {
        let base: OCILayoutSource
        let layout: String
        let lock = NSLock()
        var layoutEntries: Set<String> = []
        var parentEntries: Set<String> = []

        init(base: OCILayoutSource, layout: String) {
            self.base = base
            self.layout = layout
        }

        var displayName: String { base.displayName }
        func listTags() async throws -> [String] { try await base.listTags() }
        func rootManifest() async throws -> ManifestData { try await base.rootManifest() }
        func manifest(_ reference: ManifestReference) async throws -> ManifestData {
            try await base.manifest(reference)
        }
        func blob(_ descriptor: Descriptor) async throws -> any ByteSource {
            let parent = (layout as NSString).deletingLastPathComponent
            let inside = (try? FileManager.default.contentsOfDirectory(atPath: layout)) ?? []
            let beside = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
            lock.withLock {
                layoutEntries.formUnion(inside)
                parentEntries.formUnion(beside)
            }
            return try await base.blob(descriptor)
        }
    }

    @Test func stagesInsideTheLayoutAndNeverBesideIt() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 72, layerCount: 3)
        let source = try Self.sourceLayout(image, scratch, "source")
        let target = scratch.join("out/layout")
        let observing = ObservingSource(base: try OCILayoutSource(directory: source), layout: target)
        _ = try await ImageCopier(blobConcurrency: 1).copy(
            from: observing, to: try OCILayoutDestination(directory: target), tag: "v1")
        // Blobs after the first are read while the earlier ones sit in the staging folder.
        #expect(observing.layoutEntries.contains { $0.hasPrefix(".ocibatch-staging-") })
        #expect(observing.parentEntries.isSubset(of: ["layout"]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.join("out")) == ["layout"])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: target).sorted() == [
                "blobs", "index.json", "oci-layout",
            ])
    }

    @Test func removesStagingFoldersOfInterruptedRunsButNotLiveOnes() async throws {
        let scratch = try LayoutScratchDirectory()
        let target = scratch.join("layout")
        _ = try await Self.copy(try OCITestImages.image(seed: 74), scratch, to: target, tag: "v1")
        let old = Date(timeIntervalSinceNow: -3_600)
        func makeStaging(_ name: String, modified: Date) throws -> String {
            let folder = target + "/" + name
            try FileManager.default.createDirectory(atPath: folder + "/blobs/sha256", withIntermediateDirectories: true)
            try Data(count: 100).write(to: URL(fileURLWithPath: folder + "/blobs/sha256/partial"))
            try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: folder)
            return folder
        }
        let dead = try makeStaging(".ocibatch-staging-dead", modified: old)
        let young = try makeStaging(".ocibatch-staging-young", modified: Date())
        let live = try makeStaging(".ocibatch-staging-live", modified: old)
        let liveLock = open(live, O_RDONLY | O_DIRECTORY)
        #expect(liveLock >= 0)
        defer { close(liveLock) }
        #expect(flock(liveLock, LOCK_EX | LOCK_NB) == 0)
        let unrelated = try makeStaging(".other-tool-staging", modified: old)

        _ = try await Self.copy(try OCITestImages.image(seed: 75), scratch, to: target, tag: "v2")
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: young))
        #expect(FileManager.default.fileExists(atPath: live))
        #expect(FileManager.default.fileExists(atPath: unrelated))
    }

    @Test func aFailedCopyToANewNestedPathLeavesNoFolders() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 76, layerCount: 3)
        let source = try Self.sourceLayout(image, scratch, "source")
        let manifest = try ImageManifest(bytes: image.rootBytes)
        // The last layer is corrupt: earlier blobs are staged before the copy fails.
        let corrupt = try #require(manifest.layers.last)
        var bytes = try #require(image.blobs[corrupt.digest])
        bytes[bytes.count - 1] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: LayoutFixtures.blobPath(corrupt.digest, layout: source)))

        let error = await #expect(throws: OCIError.self) {
            try await ImageCopier(blobConcurrency: 1).copy(
                from: try OCILayoutSource(directory: source),
                to: try OCILayoutDestination(directory: scratch.join("fresh/sub/dir")), tag: "v1")
        }
        #expect(error?.kind == .digestMismatch)
        #expect(!FileManager.default.fileExists(atPath: scratch.join("fresh")))

        // An existing empty destination folder is the user's: it stays, and stays empty.
        let existing = scratch.join("existing")
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: true)
        await #expect(throws: OCIError.self) {
            try await ImageCopier(blobConcurrency: 1).copy(
                from: try OCILayoutSource(directory: source), to: try OCILayoutDestination(directory: existing),
                tag: "v1")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: existing) == [])
    }

    @Test func writeErrorsNameTheDestinationAndTheCause() async throws {
        let scratch = try LayoutScratchDirectory()
        try Data("x".utf8).write(to: URL(fileURLWithPath: scratch.join("file")))
        let target = scratch.join("file/layout")
        let error = await #expect(throws: TransportError.self) {
            try await Self.copy(try OCITestImages.image(seed: 77), scratch, to: target, tag: "v1")
        }
        #expect(error?.message.hasPrefix("oci:\(target): ") == true)
        #expect(error?.message.contains("not a directory") == true)
        #expect(error?.message.contains("The operation could not be completed") == false)
        #expect(error?.message.contains("staging") == false)
    }

    @Test func systemErrorsAreSaidInPlainWords() {
        #expect(FileSystemProblem.reason(EACCES) == "permission denied")
        #expect(
            FileSystemProblem.error("x cannot be read", code: EACCES)
                == TransportError(.failed, "x cannot be read: permission denied"))
        #expect(FileSystemProblem.error("x", code: ENOENT).kind == .invalidInput)
        let foundation = CocoaError(
            .fileReadNoPermission,
            userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))])
        #expect(FileSystemProblem.reason(of: foundation) == "permission denied")
    }

    enum Damage: String, CaseIterable, Sendable {
        case missingLayer, flippedByteInLayer, missingChildManifest, flippedByteInConfig
    }

    @Test(arguments: Damage.allCases)
    func copyingAgainRepairsADamagedLayout(damage: Damage) async throws {
        let scratch = try LayoutScratchDirectory()
        let index = try OCITestImages.index(seed: 78)
        let target = scratch.join("layout")
        let first = try await Self.copy(index, scratch, to: target, tag: "v1")
        #expect(!first.skipped)
        let child = try #require(index.childManifests.first)
        let manifest = try ImageManifest(bytes: child.bytes)
        let layer = try #require(manifest.layers.first)
        func flipByte(_ digest: Digest) throws {
            let path = LayoutFixtures.blobPath(digest, layout: target)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[0] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: path))
        }
        switch damage {
        case .missingLayer:
            try FileManager.default.removeItem(atPath: LayoutFixtures.blobPath(layer.digest, layout: target))
        case .flippedByteInLayer: try flipByte(layer.digest)
        case .missingChildManifest:
            try FileManager.default.removeItem(atPath: LayoutFixtures.blobPath(child.descriptor.digest, layout: target))
        case .flippedByteInConfig: try flipByte(manifest.config.digest)
        }
        let destination = try OCILayoutDestination(directory: target)
        #expect(try await destination.manifestDigest(tag: "v1") == nil)

        let again = try await Self.copy(index, scratch, to: target, tag: "v1")
        #expect(!again.skipped)
        #expect(try CopyTests.blobFiles(target).count == index.allContent.count)
        for (digest, data) in index.allContent {
            #expect(try Data(contentsOf: URL(fileURLWithPath: LayoutFixtures.blobPath(digest, layout: target))) == data)
        }
        let third = try await Self.copy(index, scratch, to: target, tag: "v1")
        #expect(third.skipped)
    }

    @Test func refusesLayoutsOfAnUnknownVersion() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 79)
        let layout = try Self.sourceLayout(image, scratch, "layout")
        try Data(#"{"imageLayoutVersion":"9.9.9"}"#.utf8).write(to: URL(fileURLWithPath: layout + "/oci-layout"))
        let reading = #expect(throws: TransportError.self) { try OCILayoutSource(directory: layout) }
        #expect(reading?.message.contains("9.9.9") == true)
        #expect(reading?.message.contains("\(layout)/oci-layout") == true)
        let writing = #expect(throws: TransportError.self) { try OCILayoutDestination(directory: layout) }
        #expect(writing?.message.contains("9.9.9") == true)

        try Data("{".utf8).write(to: URL(fileURLWithPath: layout + "/oci-layout"))
        #expect(throws: TransportError.self) { try OCILayoutSource(directory: layout) }
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: layout + "/oci-layout"))
        #expect(try await OCILayoutSource(directory: layout).rootManifest().digest == image.rootDigest)
    }
}
