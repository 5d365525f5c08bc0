import Foundation
import OCI
import TestSupport
import Testing

@testable import ImageTransports

/// The seed's loading tests (seed-behaviour.md §9, `load_test.go`), rebuilt on generated fixtures
/// shaped like its `test/data/images` ones.
struct SeedLoadingChecklistTests {
    private func gzip(_ data: Data, _ scratch: LayoutScratchDirectory) throws -> Data {
        let path = scratch.join("layer-\(UUID().uuidString)")
        try data.write(to: URL(fileURLWithPath: path))
        let result = try LayoutTools.run("/usr/bin/gzip", ["-n", path])
        #expect(result.status == 0, "\(result.stderr)")
        return try Data(contentsOf: URL(fileURLWithPath: path + ".gz"))
    }

    @Test func emptyPathAndEmptyDirectoryAreErrors() throws {
        let scratch = try LayoutScratchDirectory()
        #expect(throws: TransportError.self) { try OCILayoutSource(directory: "") }
        #expect(throws: TransportError.self) { try OCILayoutSource(directory: scratch.path) }
    }

    /// `multi-platform-image-in-oci`: index.json → one Docker manifest list → two Docker images.
    @Test func multiPlatformImageInOCI() async throws {
        let scratch = try LayoutScratchDirectory()
        let list = try OCITestImages.index(seed: 50, layerCount: 3, flavor: .docker)
        try LayoutFixtures.writeLayout([.init(list)], to: scratch.path)
        let root = try await OCILayoutSource(directory: scratch.path).rootManifest()
        #expect(root.digest == list.rootDigest)
        #expect(root.mediaType == .dockerManifestList)
        guard case .index(let index) = try root.document() else {
            Issue.record("expected the inner manifest list")
            return
        }
        #expect(index.manifests.count == 2)
        #expect(index.manifests.map(\.platform?.architecture) == ["amd64", "arm64"])
        #expect(index.manifests.allSatisfy { $0.mediaType == .dockerManifest })
    }

    /// `single-image`: `image.tar` with the config named `sha256:<hex>` and one gzip layer `<hex>.tar.gz`.
    @Test func singleImageTarball() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 51, layerCount: 1, flavor: .docker)
        let original = try ImageManifest(bytes: image.rootBytes)
        let config = try #require(image.blobs[original.config.digest])
        let layer = try gzip(try #require(image.blobs[original.layers[0].digest]), scratch)
        let layerDigest = Digest.sha256(layer)
        var tar = ArchiveTarWriter()
        tar.addFile("\(original.config.digest)", config)
        tar.addFile("\(layerDigest.encoded).tar.gz", layer)
        let entry =
            #"[{"Config":"\#(original.config.digest)","RepoTags":["ghcr.io/shipwright-io/sample-go/source-bundle:latest"],"Layers":["\#(layerDigest.encoded).tar.gz"]}]"#
        tar.addFile("manifest.json", entry)
        let path = scratch.join("image.tar")
        try tar.write(to: path)

        let root = try await DockerArchiveSource(path: path).rootManifest()
        let manifest = try ImageManifest(bytes: root.bytes)
        #expect(root.mediaType == .ociManifest)
        #expect(manifest.config.digest == original.config.digest)
        #expect(manifest.config.size == Int64(config.count))
        #expect(manifest.layers.map(\.digest) == [layerDigest])
        #expect(manifest.layers.map(\.mediaType) == [.ociLayerTarGzip])
        #expect(manifest.contentSize == Int64(config.count + layer.count))
        let expected =
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":\#(config.count),"digest":"\#(original.config.digest)"},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":\#(layer.count),"digest":"\#(layerDigest)"}]}"#
        #expect(String(decoding: root.bytes, as: UTF8.self) == expected)
    }

    /// `single-image-in-oci`: one pretty-printed Docker schema 2 manifest, annotated in index.json.
    @Test func singleImageInOCIKeepsThePrettyPrintedManifest() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try LayoutFixtures.prettyPrinted(try OCITestImages.image(seed: 52, layerCount: 1, flavor: .docker))
        var entry = image.rootDescriptor.json
        entry["annotations"] = .object(["dev.ggcr.image.name": .string("ghcr.io/shipwright-io/sample-go:latest")])
        for (digest, data) in image.allContent {
            try LayoutFixtures.writeBlob(data, digest: digest, layout: scratch.path)
        }
        let index: JSONObject = ["schemaVersion": .integer(2), "manifests": .array([.object(entry)])]
        try index.encoded().write(to: URL(fileURLWithPath: scratch.join("index.json")))

        let source = try OCILayoutSource(directory: scratch.path)
        let root = try await source.rootManifest()
        #expect(root.bytes == image.rootBytes)
        #expect(root.mediaType == .dockerManifest)
        let target = scratch.join("copy")
        let report = try await ImageCopier().copy(
            from: source, to: try OCILayoutDestination(directory: target), tag: "v1")
        #expect(report.digest == image.rootDigest)
        #expect(report.size == (try ImageManifest(bytes: image.rootBytes)).contentSize)
        let copied = try Data(
            contentsOf: URL(fileURLWithPath: LayoutFixtures.blobPath(image.rootDigest, layout: target)))
        #expect(copied == image.rootBytes)
    }
}
