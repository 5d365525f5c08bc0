import Foundation
import OCI
import TestSupport
import Testing

@testable import ImageTransports

struct MutatingCopyTests {
    private func config(_ descriptor: Descriptor, in layout: String) throws -> ImageConfigFacts {
        let bytes = try Data(
            contentsOf: URL(fileURLWithPath: LayoutFixtures.blobPath(descriptor.digest, layout: layout)))
        let json = try JSONValue.parse(bytes)
        return ImageConfigFacts(labels: json["config"]?["Labels"]?.objectValue?.stringDictionary ?? [:])
    }

    private struct ImageConfigFacts {
        let labels: [String: String]
    }

    @Test func labelOnAMultiPlatformLayoutReachesEveryChild() async throws {
        let scratch = try LayoutScratchDirectory()
        let index = try OCITestImages.index(seed: 30)
        let source = scratch.join("a")
        let target = scratch.join("b")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try LayoutFixtures.writeLayout([.init(index, refName: "v1")], to: source)

        let report = try await ImageCopier().copy(
            from: try OCILayoutSource(directory: source, tag: "v1"), to: try OCILayoutDestination(directory: target),
            tag: "v2", mutation: ImageMutation(labels: ["a": "b"], annotations: ["team": "core"]))
        #expect(report.digest != index.rootDigest)
        #expect(report.manifestsWritten == 3)

        let root = try await OCILayoutSource(directory: target, tag: "v2").rootManifest()
        #expect(root.digest == report.digest)
        guard case .index(let written) = try root.document() else {
            Issue.record("expected an index")
            return
        }
        #expect(written.annotations?["team"] == "core")
        #expect(written.manifests.map(\.platform) == (try ImageIndex(bytes: index.rootBytes)).manifests.map(\.platform))
        for child in written.manifests {
            let bytes = try Data(
                contentsOf: URL(fileURLWithPath: LayoutFixtures.blobPath(child.digest, layout: target)))
            let manifest = try ImageManifest(bytes: bytes)
            #expect(manifest.annotations?["team"] == "core")
            #expect(try config(manifest.config, in: target).labels == ["a": "b"])
            for layer in manifest.layers {
                let copied = try Data(
                    contentsOf: URL(fileURLWithPath: LayoutFixtures.blobPath(layer.digest, layout: target)))
                #expect(copied == index.blobs[layer.digest])
            }
        }
        // The source layout is untouched.
        #expect(try CopyTests.indexEntries(source).map(\.digest) == [index.rootDigest])

        let inspect = try LayoutTools.run("/usr/bin/skopeo", ["inspect", "--raw", "oci:\(target):v2"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(Digest.sha256(Data(inspect.stdout.utf8)) == report.digest)
        let configView = try LayoutTools.run("/usr/bin/skopeo", ["inspect", "--config", "oci:\(target):v2"])
        #expect(configView.status == 0, "\(configView.stderr)")
        #expect(configView.stdout.contains("\"a\": \"b\""))

        let again = try await ImageCopier().copy(
            from: try OCILayoutSource(directory: source, tag: "v1"), to: try OCILayoutDestination(directory: target),
            tag: "v2", mutation: ImageMutation(labels: ["a": "b"], annotations: ["team": "core"]))
        #expect(again.skipped)
        #expect(again.digest == report.digest)
    }

    @Test func emptyMutationCopiesTheOriginalBytes() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 31)
        let source = scratch.join("a")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try LayoutFixtures.writeLayout([.init(image)], to: source)
        let report = try await ImageCopier().copy(
            from: try OCILayoutSource(directory: source), to: try OCILayoutDestination(directory: scratch.join("b")),
            tag: "v1", mutation: ImageMutation())
        #expect(report.digest == image.rootDigest)
    }

    @Test func labelOnADockerArchiveImage() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 32, flavor: .docker)
        let path = scratch.join("image.tar")
        try LayoutFixtures.dockerSaveClassic([.init(image, repoTags: ["app:v1"])]).write(to: URL(fileURLWithPath: path))
        let target = scratch.join("layout")
        let report = try await ImageCopier().copy(
            from: try await DockerArchiveSource(path: path), to: try OCILayoutDestination(directory: target), tag: "v1",
            mutation: ImageMutation(labels: ["built-by": "ocibatch"]))
        let root = try await OCILayoutSource(directory: target).rootManifest()
        #expect(root.digest == report.digest)
        #expect(root.mediaType == .ociManifest)
        let manifest = try ImageManifest(bytes: root.bytes)
        #expect(try config(manifest.config, in: target).labels == ["built-by": "ocibatch"])
        #expect(report.blobsUploaded == image.blobs.count)
    }
}
