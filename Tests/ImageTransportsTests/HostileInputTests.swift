import Foundation
import OCI
import TestSupport
import Testing

@testable import ImageTransports

/// Broken layouts and hostile tarballs not covered elsewhere: each is refused with an
/// `.invalidInput` error naming the file, and the destination is never created.
@Suite struct HostileInputTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Corpus")

    /// Copies `source` into a fresh layout under `scratch`; returns the error and whether the
    /// destination was left uncreated.
    static func copyFailing(
        _ source: @escaping () async throws -> any ImageSource, scratch: LayoutScratchDirectory
    ) async -> (TransportError?, destinationUntouched: Bool) {
        let target = scratch.join("destination")
        var failure: TransportError?
        do {
            _ = try await ImageCopier().copy(
                from: try await source(), to: try OCILayoutDestination(directory: target), tag: "v1")
            Issue.record("the copy should have failed")
        } catch let error as TransportError {
            failure = error
        } catch {
            Issue.record("expected a TransportError, got \(error)")
        }
        return (failure, !FileManager.default.fileExists(atPath: target))
    }

    /// A layout whose only image lists its last layer with `size + delta`.
    static func layoutWithLayerSize(delta: Int64, in scratch: LayoutScratchDirectory) throws -> (String, Digest) {
        let image = try OCITestImages.image(seed: 120, layerCount: 2, layerSize: 3_000)
        let manifest = try ImageManifest(bytes: image.rootBytes)
        let layer = try #require(manifest.layers.last)
        let text = String(decoding: image.rootBytes, as: UTF8.self)
        let sizeText = "\"size\":\(layer.size)"
        let digestRange = try #require(text.range(of: layer.digest.description))
        let sizeRange = try #require(text.range(of: sizeText, range: digestRange.upperBound..<text.endIndex))
        let changed = Data(text.replacingCharacters(in: sizeRange, with: "\"size\":\(layer.size + delta)").utf8)
        let directory = scratch.join("source")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (digest, bytes) in image.blobs { try LayoutFixtures.writeBlob(bytes, digest: digest, layout: directory) }
        try LayoutFixtures.writeBlob(changed, digest: Digest.sha256(changed), layout: directory)
        try writeIndex(
            #"{"schemaVersion":2,"manifests":[{"mediaType":"\#(MediaType.ociManifest.rawValue)","digest":"\#(Digest.sha256(changed))","size":\#(changed.count),"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}"#,
            to: directory)
        return (directory, layer.digest)
    }

    static func writeIndex(_ text: String, to directory: String) throws {
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: directory + "/oci-layout"))
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/index.json"))
    }

    @Test(arguments: [Int64(1), -1, 1 << 40])
    func layerDisagreeingWithItsDeclaredSizeWritesNothing(delta: Int64) async throws {
        let scratch = try LayoutScratchDirectory()
        let (directory, layer) = try Self.layoutWithLayerSize(delta: delta, in: scratch)
        let (error, untouched) = await Self.copyFailing({ try OCILayoutSource(directory: directory) }, scratch: scratch)
        #expect(error?.kind == .invalidInput)
        #expect(error?.message.contains(layer.encoded) == true, "\(String(describing: error))")
        #expect(untouched)
    }

    /// 20 MiB of `index.json`: refused from its size, before it is parsed.
    @Test func hugeIndexJSONIsRefusedUnread() async throws {
        let scratch = try LayoutScratchDirectory()
        let directory = scratch.join("source")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let padding = String(repeating: "x", count: 20 << 20)
        try Self.writeIndex(#"{"schemaVersion":2,"manifests":[],"annotations":{"pad":"\#(padding)"}}"#, to: directory)
        let error = #expect(throws: TransportError.self) { try OCILayoutSource(directory: directory) }
        #expect(error?.kind == .invalidInput)
        #expect(error?.message.contains("index.json") == true)
        #expect(error?.message.contains("limit") == true)
    }

    /// JSON nested 100,000 deep: a parse error, not a stack overflow.
    @Test(arguments: ["[", #"{"a":"#])
    func absurdlyNestedIndexJSONIsRefused(opener: String) throws {
        let scratch = try LayoutScratchDirectory()
        try Self.writeIndex(String(repeating: opener, count: 100_000), to: scratch.path)
        let error = #expect(throws: TransportError.self) { try OCILayoutSource(directory: scratch.path) }
        #expect(error?.kind == .invalidInput)
        #expect(error?.message.contains("index.json") == true)
    }

    /// A `docker save` tarball cut off inside a layer entry (its header promises more than follows).
    @Test(arguments: [0.5, 0.9])
    func truncatedTarballIsRefusedAndWritesNothing(fraction: Double) async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 121, layerCount: 2, layerSize: 20_000, flavor: .docker)
        // manifest.json comes last: the cut loses it or a layer, either way the archive is incomplete.
        let archive = try LayoutFixtures.dockerSaveClassic([.init(image, repoTags: ["a:v1"])])
        let path = scratch.join("cut.tar")
        try archive.prefix(Int(Double(archive.count) * fraction)).write(to: URL(fileURLWithPath: path))
        let (error, untouched) = await Self.copyFailing({ try await DockerArchiveSource(path: path) }, scratch: scratch)
        #expect(error?.kind == .invalidInput)
        #expect(error?.message.contains(path) == true, "\(String(describing: error))")
        #expect(untouched)
    }

    /// A layer of 1 GiB of zeros in 1 MiB of gzip (four 256 MiB members) is moved as it is: the
    /// copy carries the compressed bytes and never inflates them.
    @Test func gzipBombLayerIsCopiedCompressed() async throws {
        let member = try Data(contentsOf: Self.corpus.appendingPathComponent("layers/zeros-256MiB.gz"))
        let bomb = Data([member, member, member, member].joined())
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 122, layerCount: 1, layerSize: 100, flavor: .docker)
        let archive = try LayoutFixtures.dockerSaveClassic([.init(image, repoTags: ["a:v1"])]) { _ in bomb }
        let path = scratch.join("bomb.tar")
        try archive.write(to: URL(fileURLWithPath: path))
        let source = try await DockerArchiveSource(path: path)
        let root = try ImageManifest(bytes: try await source.rootManifest().bytes)
        let layer = try #require(root.layers.first)
        #expect(layer.mediaType == .ociLayerTarGzip)
        #expect(layer.size == Int64(bomb.count))
        #expect(layer.digest == Digest.sha256(bomb))

        let target = scratch.join("layout")
        let report = try await ImageCopier().copy(
            from: source, to: try OCILayoutDestination(directory: target), tag: "v1")
        #expect(report.digest == Digest.sha256(try await source.rootManifest().bytes))
        let copied = try Data(contentsOf: URL(fileURLWithPath: LayoutFixtures.blobPath(layer.digest, layout: target)))
        #expect(copied == bomb)
        // And the copy reads back from the layout (what `inspect` of it does) at its compressed size.
        let back = try ImageManifest(
            bytes: try await OCILayoutSource(directory: target, tag: "v1").rootManifest().bytes)
        #expect(back.layers.map(\.size) == [Int64(bomb.count)])
    }
}
