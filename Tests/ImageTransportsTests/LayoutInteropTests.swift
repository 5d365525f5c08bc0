import Foundation
import OCI
import TestSupport
import Testing

@testable import ImageTransports

/// skopeo and umoci read what ocibatch writes, and ocibatch reads what skopeo writes. Both tools are
/// installed by the README's test command; these tests fail, rather than skip, when they are missing.
struct LayoutInteropTests {
    /// A policy that accepts everything, so that skopeo copy does not depend on the host's policy.json.
    private func policy(_ scratch: LayoutScratchDirectory) throws -> String {
        let path = scratch.join("policy.json")
        try Data(#"{"default":[{"type":"insecureAcceptAnything"}]}"#.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes `image` with ocibatch's copier (from a generated layout) into `target` under `tag`.
    private func copyWithOCIBatch(
        _ image: OCITestImage, _ scratch: LayoutScratchDirectory, to target: String, tag: String
    )
        async throws -> CopyReport
    {
        let source = scratch.join("generated-\(image.rootDigest.encoded.prefix(8))")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try LayoutFixtures.writeLayout([.init(image)], to: source)
        return try await ImageCopier().copy(
            from: try OCILayoutSource(directory: source), to: try OCILayoutDestination(directory: target), tag: tag)
    }

    @Test func skopeoAndUmociReadOurLayouts() async throws {
        let scratch = try LayoutScratchDirectory()
        let target = scratch.join("ours")
        let image = try OCITestImages.image(seed: 3)
        let index = try OCITestImages.index(seed: 10)
        let imageReport = try await copyWithOCIBatch(image, scratch, to: target, tag: "single")
        let indexReport = try await copyWithOCIBatch(index, scratch, to: target, tag: "multi")

        let inspect = try LayoutTools.run("/usr/bin/skopeo", ["inspect", "oci:\(target):single"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let inspected = try JSONValue.parse(Data(inspect.stdout.utf8))
        #expect(inspected["Digest"]?.stringValue == imageReport.digest.description)

        let raw = try LayoutTools.run("/usr/bin/skopeo", ["inspect", "--raw", "oci:\(target):multi"])
        #expect(raw.status == 0, "\(raw.stderr)")
        #expect(Digest.sha256(Data(raw.stdout.utf8)) == indexReport.digest)

        let stat = try LayoutTools.run("/usr/bin/umoci", ["stat", "--image", "\(target):single"])
        #expect(stat.status == 0, "\(stat.stderr)")
        let list = try LayoutTools.run("/usr/bin/umoci", ["ls", "--layout", target])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(Set(list.stdout.split(separator: "\n").map(String.init)) == ["single", "multi"])
    }

    @Test func weReadWhatSkopeoWrites() async throws {
        let scratch = try LayoutScratchDirectory()
        let first = scratch.join("a")
        let second = scratch.join("b")
        let index = try OCITestImages.index(seed: 20)
        try FileManager.default.createDirectory(atPath: first, withIntermediateDirectories: true)
        try LayoutFixtures.writeLayout([.init(index, refName: "v1")], to: first)
        let copy = try LayoutTools.run(
            "/usr/bin/skopeo",
            ["--policy", try policy(scratch), "copy", "--all", "oci:\(first):v1", "oci:\(second):v1"])
        #expect(copy.status == 0, "\(copy.stderr)")

        let source = try OCILayoutSource(directory: second, tag: "v1")
        let root = try await source.rootManifest()
        let raw = try LayoutTools.run("/usr/bin/skopeo", ["inspect", "--raw", "oci:\(second):v1"])
        #expect(root.bytes == Data(raw.stdout.utf8))
        // Every blob skopeo wrote reads back and verifies.
        let report = try await ImageCopier().copy(
            from: source, to: try OCILayoutDestination(directory: scratch.join("c")), tag: "v1")
        #expect(report.digest == root.digest)
        #expect(report.blobsUploaded == index.blobs.count)
    }

    /// A classic docker-save tarball gets an OCI manifest, which skopeo 1.9 and umoci accept in a
    /// layout's index.json (they skip or refuse Docker-typed entries), under a full reference name too.
    @Test func skopeoAndUmociReadLayoutsCopiedFromClassicTarballs() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 23, flavor: .docker)
        let tarball = scratch.join("img.tar")
        try LayoutFixtures.dockerSaveClassic([.init(image, repoTags: ["example.com/app:v1"])])
            .write(to: URL(fileURLWithPath: tarball))
        let target = scratch.join("out")
        let source = try await DockerArchiveSource(path: tarball, tag: "example.com/app:v1")
        let report = try await ImageCopier().copy(
            from: source, to: try OCILayoutDestination(directory: target), tag: "v1")
        _ = try await ImageCopier().copy(
            from: source, to: try OCILayoutDestination(directory: target), tag: "example.com/app:v1")

        for name in ["v1", "example.com/app:v1"] {
            let inspect = try LayoutTools.run("/usr/bin/skopeo", ["inspect", "oci:\(target):\(name)"])
            #expect(inspect.status == 0, "\(inspect.stderr)")
            let inspected = try JSONValue.parse(Data(inspect.stdout.utf8))
            #expect(inspected["Digest"]?.stringValue == report.digest.description)
        }
        let stat = try LayoutTools.run("/usr/bin/umoci", ["stat", "--image", "\(target):v1"])
        #expect(stat.status == 0, "\(stat.stderr)")
    }
}
