import ByteStreams
import Foundation
import OCI
import TestSupport
import Testing

@testable import ImageTransports

struct DockerArchiveSourceTests {
    private func write(_ data: Data, _ scratch: LayoutScratchDirectory, _ name: String = "image.tar") throws -> String {
        let path = scratch.join(name)
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func classicSingleImageTarballGetsADeterministicOCIManifest() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(flavor: .docker)
        let original = try ImageManifest(bytes: image.rootBytes)
        let path = try write(try LayoutFixtures.dockerSaveClassic([.init(image, repoTags: ["app:v1"])]), scratch)

        let source = try await DockerArchiveSource(path: path)
        let root = try await source.rootManifest()
        #expect(root.mediaType == .ociManifest)
        guard case .image(let manifest) = try root.document() else {
            Issue.record("expected an image manifest")
            return
        }
        #expect(manifest.config.digest == original.config.digest)
        #expect(manifest.config.mediaType == .ociConfig)
        #expect(manifest.layers.map(\.digest) == original.layers.map(\.digest))
        #expect(manifest.layers.map(\.size) == original.layers.map(\.size))
        #expect(manifest.layers.allSatisfy { $0.mediaType == .ociLayerTar })
        // Compact, with fields in Go's order.
        let text = String(decoding: root.bytes, as: UTF8.self)
        #expect(
            text.hasPrefix(
                #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":"#
            ))
        #expect(!text.contains(" "))

        let again = try await DockerArchiveSource(path: path).rootManifest()
        #expect(again.bytes == root.bytes)
        #expect(try await source.listTags() == ["app:v1"])
        #expect(try await source.manifest(.digest(root.digest)) == root)

        let target = scratch.join("layout")
        let report = try await ImageCopier().copy(
            from: source, to: try OCILayoutDestination(directory: target), tag: "v1")
        #expect(report.digest == root.digest)
        #expect(report.size == original.contentSize)
        for (digest, data) in image.blobs {
            #expect(try Data(contentsOf: URL(fileURLWithPath: LayoutFixtures.blobPath(digest, layout: target))) == data)
        }
    }

    @Test func layerCompressionIsReadFromMagicBytes() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(layerCount: 1, flavor: .docker)
        let gzipPath = try write(
            try LayoutFixtures.dockerSaveClassic([.init(image, repoTags: [])]) { Data([0x1f, 0x8b, 0x08, 0]) + $0 },
            scratch, "gzip.tar")
        let zstdPath = try write(
            try LayoutFixtures.dockerSaveClassic([.init(image, repoTags: [])]) { Data([0x28, 0xb5, 0x2f, 0xfd]) + $0 },
            scratch, "zstd.tar")
        for (path, expected) in [(gzipPath, MediaType.ociLayerTarGzip), (zstdPath, .ociLayerTarZstd)] {
            let root = try await DockerArchiveSource(path: path).rootManifest()
            guard case .image(let manifest) = try root.document() else {
                Issue.record("expected an image manifest")
                return
            }
            #expect(manifest.layers.map(\.mediaType) == [expected])
        }
    }

    @Test func severalImagesNeedATag() async throws {
        let scratch = try LayoutScratchDirectory()
        let first = try OCITestImages.image(seed: 1, flavor: .docker)
        let second = try OCITestImages.image(seed: 2, flavor: .docker)
        let path = try write(
            try LayoutFixtures.dockerSaveClassic([
                .init(first, repoTags: ["example.com/app:v1"]), .init(second, repoTags: ["example.com/app:v2"]),
            ]), scratch)
        let error = await #expect(throws: TransportError.self) { try await DockerArchiveSource(path: path) }
        #expect(error?.message.contains("2 images") == true)
        #expect(error?.message.contains("example.com/app:v1, example.com/app:v2") == true)

        for (tag, image) in [("v2", second), ("example.com/app:v1", first)] {
            let root = try await DockerArchiveSource(path: path, tag: tag).rootManifest()
            guard case .image(let manifest) = try root.document() else {
                Issue.record("expected an image manifest")
                return
            }
            #expect(manifest.config.digest == (try ImageManifest(bytes: image.rootBytes)).config.digest)
        }
        await #expect(throws: TransportError.self) { try await DockerArchiveSource(path: path, tag: "v3") }
    }

    @Test func tarballWithAnOCILayoutInsideKeepsItsManifests() async throws {
        let scratch = try LayoutScratchDirectory()
        let index = try OCITestImages.index()
        let path = try write(LayoutFixtures.dockerSaveOCI([.init(index, refName: "v1")]), scratch)
        let source = try await DockerArchiveSource(path: path)
        let root = try await source.rootManifest()
        #expect(root.bytes == index.rootBytes)
        #expect(try await source.listTags() == ["v1"])
        let target = scratch.join("layout")
        _ = try await ImageCopier().copy(from: source, to: try OCILayoutDestination(directory: target), tag: "v1")
        for (digest, data) in index.allContent {
            #expect(try Data(contentsOf: URL(fileURLWithPath: LayoutFixtures.blobPath(digest, layout: target))) == data)
        }
    }

    @Test func sharedLayersStoredAsSymlinksAreFollowed() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(layerCount: 1, flavor: .docker)
        let manifest = try ImageManifest(bytes: image.rootBytes)
        let layer = try #require(image.blobs[manifest.layers[0].digest])
        let config = try #require(image.blobs[manifest.config.digest])
        var tar = ArchiveTarWriter()
        tar.addFile("config.json", config)
        tar.addFile("aaa/layer.tar", layer)
        tar.add("bbb/layer.tar", .symlink("../aaa/layer.tar"))
        tar.addFile("manifest.json", #"[{"Config":"config.json","RepoTags":null,"Layers":["bbb/layer.tar"]}]"#)
        let path = try write(tar.finished(), scratch)
        let source = try await DockerArchiveSource(path: path)
        guard case .image(let synthesized) = try await source.rootManifest().document() else {
            Issue.record("expected an image manifest")
            return
        }
        #expect(synthesized.layers.map(\.digest) == manifest.layers.map(\.digest))
        #expect(try await source.blob(synthesized.layers[0]).readAll(limit: 1 << 20) == layer)
    }

    @Test(arguments: [
        ("../x", ArchiveTarWriter.EntryKind.file(Data("x".utf8)), "contains \"..\""),
        ("/etc/x", .file(Data("x".utf8)), "absolute path"),
        ("link", .symlink("../../etc/passwd"), "outside the archive"),
    ])
    func hostileTarballsAreRefusedAndNothingIsWritten(name: String, kind: ArchiveTarWriter.EntryKind, expected: String)
        async throws
    {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(flavor: .docker)
        var tar = ArchiveTarWriter()
        tar.add(name, kind)
        var contents = try LayoutFixtures.dockerSaveClassic([.init(image, repoTags: ["a:b"])])
        contents = tar.data + contents
        let path = try write(contents, scratch)
        let target = scratch.join("layout")
        let error = await #expect(throws: TransportError.self) {
            let source = try await DockerArchiveSource(path: path)
            _ = try await ImageCopier().copy(from: source, to: try OCILayoutDestination(directory: target), tag: "v1")
        }
        #expect(error?.message.contains(expected) == true)
        #expect(error?.message.contains(path) == true)
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func saysWhatIsWrongWithTheFile() async throws {
        let scratch = try LayoutScratchDirectory()
        var tar = ArchiveTarWriter()
        tar.addFile("readme.txt", "hello")
        let notSaved = try write(tar.finished(), scratch, "other.tar")
        var broken = ArchiveTarWriter()
        broken.addFile("manifest.json", "[{\"Config\": ")
        let malformed = try write(broken.finished(), scratch, "malformed.tar")
        let cases = [
            ("", "path is empty"), (scratch.path, "is a directory"), (scratch.join("none.tar"), "no such file"),
            (notSaved, "found: readme.txt"), (malformed, "manifest.json"),
        ]
        for (path, expected) in cases {
            let error = await #expect(throws: TransportError.self) { try await DockerArchiveSource(path: path) }
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "") should say \(expected)")
        }
    }
}
