import Foundation
import OCI
import TestSupport
import Testing

@testable import ImageTransports

/// One size, one nesting limit, and bad input that is refused with its source named.
struct CopyLimitsTests {
    @Test func copyAndImageSizeAgreeForAnIndexWithNonImageChildren() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 90)
        let artifact = OCITestImages.artifact(seed: 91)
        let rawPayload = OCITestImages.randomBytes(seed: 92, count: 33)
        let raw = Descriptor(mediaType: "application/vnd.example.raw", digest: .sha256(rawPayload), size: 33)
        let index = OCITestImages.index(children: [
            (image, image.rootDescriptor), (artifact, artifact.rootDescriptor), (artifact, raw),
        ])
        let source = scratch.join("source")
        try LayoutFixtures.writeLayout([.init(index)], to: source)
        try LayoutFixtures.writeBlob(rawPayload, digest: raw.digest, layout: source)
        let layout = try OCILayoutSource(directory: source)
        let report = try await ImageCopier().copy(
            from: layout, to: try OCILayoutDestination(directory: scratch.join("out")), tag: "v1")
        let measured = try await ImageSize.measure(try await layout.rootManifest(), in: layout)
        let imageSize = try ImageManifest(bytes: image.rootBytes).contentSize
        let artifactSize = try ImageManifest(bytes: artifact.rootBytes).contentSize
        #expect(report.size == imageSize + artifactSize + 33)
        #expect(measured == report.size)
        #expect(try index.reportedSize == report.size)
    }

    /// `levels` indexes, each holding the next, around one image.
    private static func nested(levels: Int) throws -> OCITestImage {
        var current = try OCITestImages.image(seed: 93)
        for _ in 0..<levels { current = OCITestImages.index(children: [(current, current.rootDescriptor)]) }
        return current
    }

    @Test func copyStopsAtTheSharedNestingLimit() async throws {
        let scratch = try LayoutScratchDirectory()
        let deepest = try Self.nested(levels: ContentLimits.maxIndexDepth)
        let tooDeep = try Self.nested(levels: ContentLimits.maxIndexDepth + 1)
        try LayoutFixtures.writeLayout(
            [.init(deepest, refName: "ok"), .init(tooDeep, refName: "deep")], to: scratch.join("a"))
        // The roots are given as they are: reading by tag would flatten single-child indexes.
        let source = try OCILayoutSource(directory: scratch.join("a"))
        let okRoot = ManifestData(bytes: deepest.rootBytes, mediaType: .ociIndex)
        let okReport = try await ImageCopier().copy(
            root: okRoot, created: CreatedContent(), from: source,
            to: try OCILayoutDestination(directory: scratch.join("b")), tag: "ok")
        #expect(okReport.digest == deepest.rootDigest)
        let tooDeepRoot = ManifestData(bytes: tooDeep.rootBytes, mediaType: .ociIndex)
        let error = await #expect(throws: TransportError.self) {
            try await ImageCopier().copy(
                root: tooDeepRoot, created: CreatedContent(), from: source,
                to: try OCILayoutDestination(directory: scratch.join("c")), tag: "deep")
        }
        #expect(error?.message.contains("nested more than \(ContentLimits.maxIndexDepth) deep") == true)
        #expect(error?.message.hasPrefix(source.displayName) == true)
        #expect(!FileManager.default.fileExists(atPath: scratch.join("c")))
    }

    @Test func configErrorsDuringAMutationNameTheSource() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 94)
        let source = scratch.join("source")
        try LayoutFixtures.writeLayout([.init(image)], to: source)
        let config = try ImageManifest(bytes: image.rootBytes).config
        // Same size, not JSON: the blob no longer matches its digest, so replace the manifest too.
        let broken = Data("not json".utf8)
        var json = try ImageManifest(bytes: image.rootBytes).json
        json["config"] = config.pointing(to: .sha256(broken), size: Int64(broken.count)).jsonValue
        let manifest = json.encoded()
        try LayoutFixtures.writeBlob(broken, digest: .sha256(broken), layout: source)
        try LayoutFixtures.writeBlob(manifest, digest: .sha256(manifest), layout: source)
        let entry = Descriptor(mediaType: .ociManifest, digest: .sha256(manifest), size: Int64(manifest.count))
        let index: JSONObject = ["schemaVersion": .integer(2), "manifests": .array([entry.jsonValue])]
        try index.encoded().write(to: URL(fileURLWithPath: source + "/index.json"))

        let error = await #expect(throws: TransportError.self) {
            try await ImageCopier().copy(
                from: try OCILayoutSource(directory: source),
                to: try OCILayoutDestination(directory: scratch.join("o")),
                tag: "v1", mutation: ImageMutation(labels: ["a": "b"]))
        }
        #expect(error?.kind == .invalidInput)
        #expect(error?.message.hasPrefix("oci:\(source): config \(Digest.sha256(broken)): ") == true)
        #expect(error?.message.contains("line 1, column 1") == true)
    }

    @Test func aClassicTarballWithABrokenConfigIsRefusedBeforeAnythingIsWritten() async throws {
        let scratch = try LayoutScratchDirectory()
        var tar = ArchiveTarWriter()
        tar.addFile("cfg.json", "not json")
        tar.addFile("layer.tar", OCITestImages.tarArchive(fileName: "f", contents: Data(count: 10)))
        tar.addFile("manifest.json", #"[{"Config":"cfg.json","RepoTags":["a:v1"],"Layers":["layer.tar"]}]"#)
        let path = scratch.join("badcfg.tar")
        try tar.write(to: path)
        let error = await #expect(throws: TransportError.self) { try await DockerArchiveSource(path: path) }
        #expect(error?.kind == .invalidInput)
        #expect(error?.message.hasPrefix("\(path): cfg.json: config sha256:") == true)
        #expect(error?.message.contains("line 1, column 1") == true)
    }

    @Test func archiveMessagesSayWhatIsWrongOnce() async throws {
        let scratch = try LayoutScratchDirectory()
        var tar = ArchiveTarWriter()
        tar.addFile("manifest.json", "[")
        let truncated = scratch.join("classic.tar")
        try tar.write(to: truncated)
        let error = await #expect(throws: TransportError.self) { try await DockerArchiveSource(path: truncated) }
        #expect(error?.message.hasPrefix("\(truncated): manifest.json: ") == true)
        #expect(error?.message.components(separatedBy: "manifest.json").count == 2)

        let empty = scratch.join("empty.tar")
        try Data().write(to: URL(fileURLWithPath: empty))
        let emptyError = await #expect(throws: TransportError.self) { try await DockerArchiveSource(path: empty) }
        #expect(emptyError?.message == "\(empty) is empty, not a docker-save tarball")
    }
}
