import Foundation
import OCI
import TestSupport
import Testing

/// A standard registry deletes a manifest with every tag on it: ocibatch must never remove a tag
/// the user did not name.
@Suite struct DeleteSharedDigestTests {
    @Test func deletingOneOfSeveralTagsOfAnImageIsRefusedAndDeletingThemTogetherWorks() async throws {
        let registry = try TestServices.plainRegistry
        let scratch = try LayoutScratchDirectory()
        try LayoutFixtures.writeLayout([.init(try OCITestImages.image(seed: 41), refName: "v1")], to: scratch.join("a"))
        let repository = "\(registry)/cli/shared-\(UUID().uuidString.prefix(8).lowercased())"
        let flags = ["--insecure-registry", registry]
        for tag in ["1.0", "2.0", "latest"] {
            let push = await runCommand(["copy", "oci:a:v1", "\(repository):\(tag)"] + flags, in: scratch.path)
            #expect(push.status == 0, "\(push.stderr)")
        }

        let alone = await runCommand(["delete", "\(repository):1.0"] + flags, in: scratch.path)
        #expect(alone.status == 1)
        #expect(alone.stdout.contains("also tagged 2.0, latest"), "\(alone.stdout)")
        for tag in ["1.0", "2.0", "latest"] {
            let still = await runCommand(["inspect", "\(repository):\(tag)"] + flags, in: scratch.path)
            #expect(still.status == 0, "\(tag) must survive: \(still.stderr)")
        }

        let together = await runCommand(
            ["delete", "\(repository):1.0", "\(repository):2.0", "\(repository):latest"] + flags, in: scratch.path)
        #expect(together.status == 0, "\(together.stdout) \(together.stderr)")
        for tag in ["1.0", "2.0", "latest"] {
            let gone = await runCommand(["inspect", "\(repository):\(tag)"] + flags, in: scratch.path)
            #expect(gone.status == 1, "\(tag) should be gone")
        }
    }
}
