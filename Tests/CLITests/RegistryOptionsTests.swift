import Foundation
import TestSupport
import Testing

@Suite struct RegistryOptionsTests {
    @Test(arguments: [
        (["--ca-file", "/"], "is a directory"),
        (["--ca-file", "/etc/hostname"], "holds no PEM certificate"),
        (["--ca-file", "/nonexistent.pem"], "does not exist"),
        (["--insecure-registry", "a b"], "not a registry name"),
        (["--insecure-registry", "https://x:1"], "not a registry name"),
    ])
    func badRegistryFlagsExit2BeforeAnythingRuns(flags: [String], message: String) async throws {
        let scratch = try LayoutScratchDirectory()
        for command in [["inspect", "oci:a:v1"], ["copy", "oci:a:v1", "oci:b:v1"]] {
            let result = await runCommand(command + flags, in: scratch.path)
            #expect(result.status == 2, "\(command) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
    }

    @Test func copyToADigestIsRefused() async throws {
        let scratch = try LayoutScratchDirectory()
        try LayoutFixtures.writeLayout([.init(try OCITestImages.image(seed: 31), refName: "v1")], to: scratch.join("a"))
        let digest = "sha256:" + String(repeating: "a", count: 64)
        let result = await runCommand(
            ["copy", "oci:a:v1", "127.0.0.1:1/r/x@\(digest)", "--insecure-registry", "127.0.0.1:1"], in: scratch.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("names a digest"))
    }
}
