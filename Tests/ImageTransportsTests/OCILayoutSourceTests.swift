import ByteStreams
import Foundation
import OCI
import TestSupport
import Testing

@testable import ImageTransports

struct OCILayoutSourceTests {
    private func readAll(_ source: any ByteSource) async throws -> Data {
        try await source.readAll(limit: 64 << 20)
    }

    @Test func refusesAnEmptyPath() {
        let error = #expect(throws: TransportError.self) { try OCILayoutSource(directory: "") }
        #expect(error?.message.contains("path is empty") == true)
        #expect(error?.kind == .invalidInput)
    }

    @Test func saysWhatIsThereWhenItIsNotALayout() throws {
        let scratch = try LayoutScratchDirectory()
        let missing = scratch.join("missing")
        let empty = scratch.join("empty")
        let other = scratch.join("other")
        let unpacked = scratch.join("unpacked")
        let file = scratch.join("file.tar")
        for directory in [empty, other, unpacked] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try Data("x".utf8).write(to: URL(fileURLWithPath: other + "/notes.txt"))
        try Data("[]".utf8).write(to: URL(fileURLWithPath: unpacked + "/manifest.json"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let cases = [
            (missing, "does not exist"), (empty, "is empty"), (other, "found: notes.txt"),
            (unpacked, "docker-save"), (file, "is a file"),
        ]
        for (path, expected) in cases {
            let error = #expect(throws: TransportError.self) { try OCILayoutSource(directory: path) }
            #expect(error?.message.contains(path) == true)
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "") should say \(expected)")
        }
    }

    @Test func multiPlatformLayoutWithOneEntryGivesTheInnerIndex() async throws {
        let scratch = try LayoutScratchDirectory()
        let index = try OCITestImages.index()
        try LayoutFixtures.writeLayout([.init(index, refName: "v1")], to: scratch.path)
        for tag in [nil, "v1"] {
            let root = try await OCILayoutSource(directory: scratch.path, tag: tag).rootManifest()
            #expect(root.digest == index.rootDigest)
            #expect(root.mediaType == .ociIndex)
            guard case .index(let parsed) = try root.document() else {
                Issue.record("expected an index")
                return
            }
            #expect(parsed.manifests.count == 2)
        }
    }

    @Test func singleEntryIndexesAreFlattenedToTheImage() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image()
        let wrapper = OCITestImages.index(children: [(image, image.rootDescriptor)])
        try LayoutFixtures.writeLayout([.init(wrapper)], to: scratch.path)
        let root = try await OCILayoutSource(directory: scratch.path).rootManifest()
        #expect(root.digest == image.rootDigest)
        #expect(root.mediaType == .ociManifest)
    }

    @Test func prettyPrintedManifestIsKeptByteForByte() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try LayoutFixtures.prettyPrinted(try OCITestImages.image())
        try LayoutFixtures.writeLayout([.init(image, refName: "latest")], to: scratch.path)
        let root = try await OCILayoutSource(directory: scratch.path).rootManifest()
        #expect(root.bytes == image.rootBytes)
        #expect(root.digest == image.rootDigest)
        #expect(String(decoding: root.bytes, as: UTF8.self).contains("\n  "))
    }

    @Test func selectsByBareTagOrFullReference() async throws {
        let scratch = try LayoutScratchDirectory()
        let first = try OCITestImages.image(seed: 1)
        let second = try OCITestImages.image(seed: 2)
        try LayoutFixtures.writeLayout(
            [.init(first, refName: "v1"), .init(second, refName: "registry.example:5000/team/app:v2")],
            to: scratch.path)
        let source = try OCILayoutSource(directory: scratch.path)
        #expect(try await source.listTags() == ["registry.example:5000/team/app:v2", "v1"])
        #expect(try await OCILayoutSource(directory: scratch.path, tag: "v1").rootManifest().digest == first.rootDigest)
        #expect(
            try await OCILayoutSource(directory: scratch.path, tag: "v2").rootManifest().digest == second.rootDigest)
        let full = try OCILayoutSource(directory: scratch.path, tag: "registry.example:5000/team/app:v2")
        #expect(try await full.rootManifest().digest == second.rootDigest)
        #expect(try await source.manifest(.tag("v1")).digest == first.rootDigest)

        let ambiguous = await #expect(throws: TransportError.self) { try await source.rootManifest() }
        #expect(ambiguous?.message.contains("tags: registry.example:5000/team/app:v2, v1") == true)
        let unknown = await #expect(throws: TransportError.self) {
            try await OCILayoutSource(directory: scratch.path, tag: "v3").rootManifest()
        }
        #expect(unknown?.message.contains("\"v3\"") == true)
        #expect(unknown?.message.contains("tags: registry.example:5000/team/app:v2, v1") == true)
    }

    @Test func severalUnnamedEntriesMakeIndexJSONTheIndex() async throws {
        let scratch = try LayoutScratchDirectory()
        let images = [try OCITestImages.image(seed: 1), try OCITestImages.image(seed: 2)]
        try LayoutFixtures.writeLayout(images.map { .init($0) }, to: scratch.path)
        let root = try await OCILayoutSource(directory: scratch.path).rootManifest()
        let indexJSON = try Data(contentsOf: URL(fileURLWithPath: scratch.join("index.json")))
        #expect(root.bytes == indexJSON)
        #expect(root.mediaType == .ociIndex)
    }

    @Test func unknownMediaTypesAreNamed() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image()
        let odd = Descriptor(mediaType: "application/vnd.example.unknown", digest: image.rootDigest, size: 10)
        for (digest, data) in image.allContent {
            try LayoutFixtures.writeBlob(data, digest: digest, layout: scratch.path)
        }
        let index: JSONObject = ["schemaVersion": .integer(2), "manifests": .array([odd.jsonValue])]
        try index.encoded().write(to: URL(fileURLWithPath: scratch.join("index.json")))
        let error = await #expect(throws: TransportError.self) {
            try await OCILayoutSource(directory: scratch.path).rootManifest()
        }
        #expect(error?.message.contains("application/vnd.example.unknown") == true)
    }

    @Test func blobsAreReadAndVerified() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image()
        try LayoutFixtures.writeLayout([.init(image)], to: scratch.path)
        let source = try OCILayoutSource(directory: scratch.path)
        let manifest = try ImageManifest(bytes: image.rootBytes)
        let layer = manifest.layers[0]
        #expect(try await readAll(try await source.blob(layer)) == image.blobs[layer.digest])

        // Same size, other bytes: caught once the stream ends.
        var corrupt = try #require(image.blobs[layer.digest])
        corrupt[corrupt.startIndex] ^= 0xff
        try LayoutFixtures.writeBlob(corrupt, digest: layer.digest, layout: scratch.path)
        let mismatch = await #expect(throws: OCIError.self) { try await readAll(try await source.blob(layer)) }
        #expect(mismatch?.kind == .digestMismatch)
        #expect(mismatch?.message.contains(layer.digest.encoded) == true)

        try LayoutFixtures.writeBlob(corrupt.prefix(10), digest: layer.digest, layout: scratch.path)
        let short = await #expect(throws: TransportError.self) { try await source.blob(layer) }
        #expect(short?.message.contains("is 10 bytes but its descriptor says") == true)

        try FileManager.default.removeItem(atPath: LayoutFixtures.blobPath(layer.digest, layout: scratch.path))
        let missing = await #expect(throws: TransportError.self) { try await source.blob(layer) }
        #expect(missing?.message.contains("blobs/sha256/\(layer.digest.encoded)") == true)
        #expect(missing?.message.contains("missing") == true)
    }

    @Test func malformedDocumentsNameTheFile() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image()
        try LayoutFixtures.writeLayout([.init(image)], to: scratch.path)
        let manifestPath = LayoutFixtures.blobPath(image.rootDigest, layout: scratch.path)
        try Data("{\"schemaVersion\": 2, ".utf8).write(to: URL(fileURLWithPath: manifestPath))
        let corrupt = await #expect(throws: TransportError.self) {
            try await OCILayoutSource(directory: scratch.path).rootManifest()
        }
        #expect(corrupt?.message.contains("expected \(image.rootDigest)") == true)

        try Data("{\"manifests\": [".utf8).write(to: URL(fileURLWithPath: scratch.join("index.json")))
        let malformed = #expect(throws: TransportError.self) { try OCILayoutSource(directory: scratch.path) }
        #expect(malformed?.message.contains("index.json") == true)
    }
}
