import Foundation
import OCI
import TestSupport
import Testing

@Suite struct CopyCommandTests {
    @Test func copiesMultiPlatformLayoutWithLabelIntoEveryChild() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.index(seed: 7, layerCount: 2)
        try LayoutFixtures.writeLayout([.init(image, refName: "v1")], to: scratch.join("a"))

        let result = await runCommand(
            ["copy", "oci:a:v1", "oci:b:v2", "--label", "a=b", "--annotation", "note=x", "--format", "json"],
            in: scratch.path)
        #expect(result.status == 0, "\(result.stderr)")
        let output = try JSONValue.parse(Data(result.stdout.utf8))
        let digest = try #require(output["digest"]?.stringValue)
        #expect(digest != image.rootDigest.description)

        let inspected = await runCommand(["inspect", "oci:b:v2", "--format", "json"], in: scratch.path)
        #expect(inspected.status == 0, "\(inspected.stderr)")
        let summary = try JSONValue.parse(Data(inspected.stdout.utf8))
        #expect(summary["digest"]?.stringValue == digest)
        #expect(summary["annotations"]?["note"]?.stringValue == "x")
        let images = try #require(summary["images"]?.arrayValue)
        #expect(images.count == 2)
        for child in images {
            #expect(child["labels"]?["a"]?.stringValue == "b")
            #expect(child["annotations"]?["note"]?.stringValue == "x")
        }
        // Layers are never rewritten: every layer blob of the source is in the target, byte for byte.
        for (blobDigest, bytes) in image.blobs where bytes.count > 1_000 {
            let copied = try Data(
                contentsOf: URL(fileURLWithPath: LayoutFixtures.blobPath(blobDigest, layout: scratch.join("b"))))
            #expect(copied == bytes)
        }
        let skopeo = try LayoutTools.run("/usr/bin/skopeo", ["inspect", "--raw", "oci:\(scratch.join("b")):v2"])
        #expect(skopeo.status == 0, "\(skopeo.stderr)")
        #expect(Digest.sha256(Data(skopeo.stdout.utf8)).description == digest)
    }

    @Test func copyWithoutChangesKeepsTheDigestAndSecondCopyIsSkipped() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 3)
        try LayoutFixtures.writeLayout([.init(image, refName: "v1")], to: scratch.join("a"))
        let first = await runCommand(["copy", "oci:a:v1", "oci:b:v1"], in: scratch.path)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains(image.rootDigest.description))
        #expect(first.stdout.contains("copied"))
        let second = await runCommand(["copy", "oci:a:v1", "oci:b:v1"], in: scratch.path)
        #expect(second.stdout.contains("skipped"))
    }

    @Test func inspectRawPrintsTheManifestBytes() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try LayoutFixtures.prettyPrinted(try OCITestImages.image(seed: 4))
        try LayoutFixtures.writeLayout([.init(image, refName: "v1")], to: scratch.join("a"))
        let result = await runCommand(["inspect", "oci:a:v1", "--raw"], in: scratch.path)
        #expect(result.status == 0)
        #expect(result.stdoutBytes == image.rootBytes)
    }

    @Test(arguments: [
        (["copy", "oci:missing:v1", "oci:out:v1"], "missing"),
        (["copy", "oci:a:v1", "oci:out:v1", "--label", "novalue"], "novalue"),
        (["copy", "oci:a:v1", "docker-archive:out.tar"], "source only"),
        (["copy", "oci:a:nosuchtag", "oci:out:v1"], "nosuchtag"),
        (["inspect", "oci:a:v1", "--format", "yaml"], "unknown format 'yaml'"),
    ])
    func badInputExits2AndWritesNothing(arguments: [String], expected: String) async throws {
        let scratch = try LayoutScratchDirectory()
        try LayoutFixtures.writeLayout([.init(try OCITestImages.image(seed: 5), refName: "v1")], to: scratch.join("a"))
        let result = await runCommand(arguments, in: scratch.path)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.join("out")))
    }

    @Test func corruptLayerIsRefusedAndNothingIsWritten() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 6, layerCount: 1, layerSize: 4_096)
        try LayoutFixtures.writeLayout([.init(image, refName: "v1")], to: scratch.join("a"))
        let layer = try #require(image.blobs.first { $0.value.count > 4_000 })
        var corrupt = layer.value
        corrupt[100] ^= 0xFF
        try corrupt.write(to: URL(fileURLWithPath: LayoutFixtures.blobPath(layer.key, layout: scratch.join("a"))))
        let result = await runCommand(["copy", "oci:a:v1", "oci:out:v1"], in: scratch.path)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(layer.key.encoded))
        #expect(!FileManager.default.fileExists(atPath: scratch.join("out/index.json")))
    }
}
