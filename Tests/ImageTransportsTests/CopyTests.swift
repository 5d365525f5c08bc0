import ByteStreams
import Foundation
import OCI
import TestSupport
import Testing

@testable import ImageTransports

struct CopyTests {
    /// Every file under `blobs/` of a layout, by relative path.
    static func blobFiles(_ layout: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let root = layout + "/blobs"
        guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
        for case let relative as String in walker {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            if exists && !isDirectory.boolValue {
                result[relative] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative))
            }
        }
        return result
    }

    static func indexEntries(_ layout: String) throws -> [Descriptor] {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: layout + "/index.json"))
        return try ImageIndex(bytes: bytes, mediaType: .ociIndex).manifests
    }

    @Test func layoutToLayoutCopyIsByteIdentical() async throws {
        let scratch = try LayoutScratchDirectory()
        let index = try OCITestImages.index()
        let source = scratch.join("a")
        let target = scratch.join("b")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try LayoutFixtures.writeLayout([.init(index, refName: "v1")], to: source)

        let report = try await ImageCopier().copy(
            from: try OCILayoutSource(directory: source, tag: "v1"), to: try OCILayoutDestination(directory: target),
            tag: "v2")
        #expect(report.digest == index.rootDigest)
        #expect(report.mediaType == .ociIndex)
        #expect(report.blobsUploaded == index.blobs.count)
        #expect(report.bytesMoved == index.blobs.values.reduce(0) { $0 + Int64($1.count) })
        #expect(report.manifestsWritten == 3)
        #expect(!report.skipped)
        // Seed size of an index: the children's config plus layers.
        let childSizes = try index.childManifests.map { try ImageManifest(bytes: $0.bytes).contentSize }
        #expect(report.size == childSizes.reduce(0, +))

        #expect(try Self.blobFiles(target) == Self.blobFiles(source))
        let entries = try Self.indexEntries(target)
        #expect(entries.count == 1)
        #expect(entries.first?.digest == index.rootDigest)
        #expect(entries.first?.annotations?[LayoutFixtures.refNameAnnotation] == "v2")
        #expect(FileManager.default.fileExists(atPath: target + "/oci-layout"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted() == ["a", "b"])

        let again = try await ImageCopier().copy(
            from: try OCILayoutSource(directory: source), to: try OCILayoutDestination(directory: target), tag: "v2")
        #expect(again.skipped)
        #expect(again.size == report.size)
        #expect(again.blobsUploaded == 0)

        let otherTag = try await ImageCopier().copy(
            from: try OCILayoutSource(directory: source), to: try OCILayoutDestination(directory: target), tag: "v3")
        #expect(!otherTag.skipped)
        #expect(otherTag.blobsUploaded == 0)
        #expect(otherTag.manifestsSkipped == 2)
        #expect(otherTag.manifestsWritten == 1)
        #expect(
            try Self.indexEntries(target).compactMap { $0.annotations?[LayoutFixtures.refNameAnnotation] } == [
                "v2", "v3",
            ])
    }

    @Test func writingATagReplacesOnlyThatEntry() async throws {
        let scratch = try LayoutScratchDirectory()
        let images = try (1...3).map { try OCITestImages.image(seed: UInt64($0)) }
        let target = scratch.join("layout")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try LayoutFixtures.writeLayout([.init(images[0], refName: "v1"), .init(images[1], refName: "v2")], to: target)
        // A field ocibatch does not know must survive the merge.
        var json =
            try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: target + "/index.json"))).objectValue ?? [:]
        json["x-custom"] = .string("kept")
        try json.encoded().write(to: URL(fileURLWithPath: target + "/index.json"))

        let source = scratch.join("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try LayoutFixtures.writeLayout([.init(images[2])], to: source)
        _ = try await ImageCopier().copy(
            from: try OCILayoutSource(directory: source), to: try OCILayoutDestination(directory: target), tag: "v1")

        let entries = try Self.indexEntries(target)
        #expect(entries.map(\.digest) == [images[2].rootDigest, images[1].rootDigest])
        #expect(entries.map { $0.annotations?[LayoutFixtures.refNameAnnotation] } == ["v1", "v2"])
        let merged = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: target + "/index.json")))
        #expect(merged["x-custom"]?.stringValue == "kept")
        // The old v1 image's blobs are still there: other tags or tools may use them.
        #expect(FileManager.default.fileExists(atPath: LayoutFixtures.blobPath(images[0].rootDigest, layout: target)))
    }

    @Test func concurrentCopiesIntoOneLayoutKeepEveryTag() async throws {
        let scratch = try LayoutScratchDirectory()
        let target = scratch.join("shared")
        let tags = (1...6).map { "t\($0)" }
        var sources: [String] = []
        for (offset, _) in tags.enumerated() {
            let directory = scratch.join("source-\(offset)")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try LayoutFixtures.writeLayout([.init(try OCITestImages.image(seed: UInt64(40 + offset)))], to: directory)
            sources.append(directory)
        }
        try await withThrowingTaskGroup(of: CopyReport.self) { group in
            for (source, tag) in zip(sources, tags) {
                group.addTask {
                    try await ImageCopier().copy(
                        from: try OCILayoutSource(directory: source), to: try OCILayoutDestination(directory: target),
                        tag: tag)
                }
            }
            try await group.waitForAll()
        }
        let written = try Self.indexEntries(target).compactMap { $0.annotations?[LayoutFixtures.refNameAnnotation] }
        #expect(written.sorted() == tags)
    }

    @Test func refusesToWriteIntoADirectoryThatIsNotALayout() throws {
        let scratch = try LayoutScratchDirectory()
        try Data("x".utf8).write(to: URL(fileURLWithPath: scratch.join("notes.txt")))
        let error = #expect(throws: TransportError.self) { try OCILayoutDestination(directory: scratch.path) }
        #expect(error?.message.contains("notes.txt") == true)
    }

    enum Breakage: String, CaseIterable, Sendable {
        case missingLayer, corruptLayer, truncatedLayer, malformedChildManifest, missingChildManifest
    }

    @Test(arguments: Breakage.allCases)
    func brokenInputWritesNothing(breakage: Breakage) async throws {
        let scratch = try LayoutScratchDirectory()
        let index = try OCITestImages.index()
        let source = scratch.join("a")
        let target = scratch.join("b")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try LayoutFixtures.writeLayout([.init(index, refName: "v1")], to: source)
        let child = index.childManifests[1]
        let layer = try #require(try ImageManifest(bytes: child.bytes).layers.last)
        let layerPath = LayoutFixtures.blobPath(layer.digest, layout: source)
        let childPath = LayoutFixtures.blobPath(child.descriptor.digest, layout: source)
        let expected: String
        switch breakage {
        case .missingLayer:
            try FileManager.default.removeItem(atPath: layerPath)
            expected = "missing"
        case .corruptLayer:
            var bytes = try Data(contentsOf: URL(fileURLWithPath: layerPath))
            bytes[bytes.endIndex - 1] ^= 0x55
            try bytes.write(to: URL(fileURLWithPath: layerPath))
            expected = "digest"
        case .truncatedLayer:
            try Data(contentsOf: URL(fileURLWithPath: layerPath)).prefix(100).write(to: URL(fileURLWithPath: layerPath))
            expected = "is 100 bytes but its descriptor says"
        case .malformedChildManifest:
            try Data("{not json".utf8).write(to: URL(fileURLWithPath: childPath))
            expected = "expected \(child.descriptor.digest)"
        case .missingChildManifest:
            try FileManager.default.removeItem(atPath: childPath)
            expected = "missing"
        }
        do {
            _ = try await ImageCopier().copy(
                from: try OCILayoutSource(directory: source), to: try OCILayoutDestination(directory: target), tag: "v1"
            )
            Issue.record("the copy should have failed")
        } catch {
            let message = "\(error)"
            #expect(message.contains(expected), "\(message) should say \(expected)")
            let namesFile = message.contains(layer.digest.encoded) || message.contains(child.descriptor.digest.encoded)
            #expect(namesFile, "\(message) should name the blob")
        }
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["a"])
    }

    @Test func failedCopyLeavesAnExistingLayoutUntouched() async throws {
        let scratch = try LayoutScratchDirectory()
        let good = try OCITestImages.image(seed: 5)
        let target = scratch.join("b")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try LayoutFixtures.writeLayout([.init(good, refName: "keep")], to: target)
        let before = try Self.blobFiles(target)
        let indexBefore = try Data(contentsOf: URL(fileURLWithPath: target + "/index.json"))

        let broken = try OCITestImages.image(seed: 6)
        let source = scratch.join("a")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try LayoutFixtures.writeLayout([.init(broken)], to: source)
        let layer = try #require(try ImageManifest(bytes: broken.rootBytes).layers.last)
        var bytes = try #require(broken.blobs[layer.digest])
        bytes[bytes.startIndex] ^= 1
        try LayoutFixtures.writeBlob(bytes, digest: layer.digest, layout: source)

        await #expect(throws: (any Error).self) {
            try await ImageCopier().copy(
                from: try OCILayoutSource(directory: source), to: try OCILayoutDestination(directory: target), tag: "v1"
            )
        }
        #expect(try Self.blobFiles(target) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target + "/index.json")) == indexBefore)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted() == ["a", "b"])
    }

    @Test func nonDistributableLayersAreCountedButNotCopied() async throws {
        let scratch = try LayoutScratchDirectory()
        let base = try OCITestImages.image()
        let manifest = try ImageManifest(bytes: base.rootBytes)
        let foreign = Descriptor(
            mediaType: .ociNonDistributableLayerTarGzip, digest: .sha256(Data("elsewhere".utf8)), size: 12_345,
            urls: ["https://example.invalid/layer"])
        var json = manifest.json
        json["layers"] = .array(manifest.layers.map(\.jsonValue) + [foreign.jsonValue])
        let rootBytes = json.encoded()
        let source = scratch.join("a")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        for (digest, data) in base.blobs { try LayoutFixtures.writeBlob(data, digest: digest, layout: source) }
        let rootDigest = Digest.sha256(rootBytes)
        try LayoutFixtures.writeBlob(rootBytes, digest: rootDigest, layout: source)
        let entry = Descriptor(mediaType: .ociManifest, digest: rootDigest, size: Int64(rootBytes.count))
        let index: JSONObject = ["schemaVersion": .integer(2), "manifests": .array([entry.jsonValue])]
        try index.encoded().write(to: URL(fileURLWithPath: source + "/index.json"))

        let report = try await ImageCopier().copy(
            from: try OCILayoutSource(directory: source), to: try OCILayoutDestination(directory: scratch.join("b")),
            tag: "v1")
        #expect(report.size == manifest.contentSize + 12_345)
        #expect(report.blobsUploaded == base.blobs.count)
        #expect(
            !FileManager.default.fileExists(atPath: LayoutFixtures.blobPath(foreign.digest, layout: scratch.join("b"))))
    }
}
