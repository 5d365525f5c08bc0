import Foundation
import OCI
import TestSupport
import Testing

@testable import ImageTransports

/// `oci:DIR:NAME` and `docker-archive:FILE:NAME` pick images the way skopeo does, plus bare tags.
struct ImageNameSelectionTests {
    @Test func layoutNamesAreMatchedExactlyThenByTagWhenUnambiguous() async throws {
        let scratch = try LayoutScratchDirectory()
        let app = try OCITestImages.image(seed: 80)
        let other = try OCITestImages.image(seed: 81)
        let solo = try OCITestImages.image(seed: 82)
        try LayoutFixtures.writeLayout(
            [
                .init(app, refName: "example.com/app:v1"), .init(other, refName: "example.com/other:v1"),
                .init(solo, refName: "example.com/solo:v2"),
            ], to: scratch.path)
        func root(_ name: String) async throws -> Digest {
            try await OCILayoutSource(directory: scratch.path, tag: name).rootManifest().digest
        }
        #expect(try await root("example.com/app:v1") == app.rootDigest)
        #expect(try await root("example.com/other:v1") == other.rootDigest)
        #expect(try await root("v2") == solo.rootDigest)
        let ambiguous = await #expect(throws: TransportError.self) { try await root("v1") }
        #expect(ambiguous?.kind == .invalidInput)
        #expect(ambiguous?.message.contains("example.com/app:v1, example.com/other:v1") == true)
        #expect(
            try await OCILayoutSource(directory: scratch.path).listTags() == [
                "example.com/app:v1", "example.com/other:v1", "example.com/solo:v2",
            ])

        // An exact bare name wins over tag parts of full names.
        try LayoutFixtures.writeLayout(
            [.init(app, refName: "example.com/app:v1"), .init(other, refName: "v1")], to: scratch.path)
        #expect(try await root("v1") == other.rootDigest)
    }

    @Test func dockerSaveOCITarballsMatchTheDaemonsNormalisedName() async throws {
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.image(seed: 83)
        let path = scratch.join("d25.tar")
        try LayoutFixtures.dockerSaveOCI([
            .init(image, refName: "v1", annotations: ["io.containerd.image.name": "docker.io/library/foo:v1"])
        ]).write(to: URL(fileURLWithPath: path))
        for name in ["foo:v1", "docker.io/library/foo:v1", "library/foo:v1", "v1", "index.docker.io/foo:v1"] {
            #expect(try await DockerArchiveSource(path: path, tag: name).rootManifest().digest == image.rootDigest)
        }
        await #expect(throws: TransportError.self) { try await DockerArchiveSource(path: path, tag: "foo:v2") }
        await #expect(throws: TransportError.self) { try await DockerArchiveSource(path: path, tag: "bar:v1") }
    }

    @Test func classicTarballsMatchNormalisedReferences() async throws {
        let scratch = try LayoutScratchDirectory()
        let first = try OCITestImages.image(seed: 84, flavor: .docker)
        let second = try OCITestImages.image(seed: 85, flavor: .docker)
        let path = scratch.join("classic.tar")
        try LayoutFixtures.dockerSaveClassic([
            .init(first, repoTags: ["foo/bar:v1", "foo/bar:latest"]), .init(second, repoTags: ["example.com/baz:v1"]),
        ]).write(to: URL(fileURLWithPath: path))
        func config(_ name: String) async throws -> Digest? {
            let root = try await DockerArchiveSource(path: path, tag: name).rootManifest()
            return try ImageManifest(bytes: root.bytes).config.digest
        }
        let firstConfig = try ImageManifest(bytes: first.rootBytes).config.digest
        let secondConfig = try ImageManifest(bytes: second.rootBytes).config.digest
        #expect(try await config("docker.io/foo/bar:v1") == firstConfig)
        #expect(try await config("foo/bar") == firstConfig)
        #expect(try await config("foo/bar:v1") == firstConfig)
        #expect(try await config("latest") == firstConfig)
        #expect(try await config("example.com/baz:v1") == secondConfig)
        let ambiguous = await #expect(throws: TransportError.self) { try await config("v1") }
        #expect(ambiguous?.message.contains("example.com/baz:v1, foo/bar:v1") == true)
        let missing = await #expect(throws: TransportError.self) { try await config("docker.io/foo/bar:v2") }
        #expect(missing?.message.contains("no image is named") == true)
    }

    @Test(arguments: [
        ("v1", ["v1", "a/b:v1"], ["v1"]),
        ("v1", ["a/b:v1", "c:v1"], ["a/b:v1", "c:v1"]),
        ("foo:v1", ["docker.io/library/foo:v1", "v1"], ["docker.io/library/foo:v1"]),
        ("docker.io/foo/bar", ["foo/bar:latest"], ["foo/bar:latest"]),
        ("foo", ["foo:v1"], []),
        ("example.com/app:v1", ["app:v1"], []),
    ])
    func rules(wanted: String, names: [String], expected: [String]) {
        let matched = ImageNameSelection.matches(wanted, among: names) { [$0] }
        #expect(matched.map(\.name) == expected)
    }
}
