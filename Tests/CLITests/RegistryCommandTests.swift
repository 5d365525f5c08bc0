import Foundation
import OCI
import TestSupport
import Testing

/// The command line against the real docker-registry instances started by Tests/run.
@Suite struct RegistryCommandTests {
    /// A docker config holding `credentials` for `registry`, written into `scratch`.
    static func dockerConfig(_ scratch: LayoutScratchDirectory, registry: String, _ credentials: TestCredentials)
        throws -> String
    {
        let auth = Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
        let path = scratch.join("docker-config.json")
        try Data(#"{"auths":{"\#(registry)":{"auth":"\#(auth)"}}}"#.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func uniqueRepository(_ name: String) -> String {
        "cli/\(name)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    @Test func layoutToPlainRegistryAndBackIsByteIdentical() async throws {
        let registry = try TestServices.plainRegistry
        let scratch = try LayoutScratchDirectory()
        let image = try OCITestImages.index(seed: 21)
        try LayoutFixtures.writeLayout([.init(image, refName: "v1")], to: scratch.join("a"))
        let target = "docker://\(registry)/\(Self.uniqueRepository("roundtrip")):v1"

        let push = await runCommand(
            ["copy", "oci:a:v1", target, "--insecure-registry", registry, "--format", "json"], in: scratch.path)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(try JSONValue.parse(Data(push.stdout.utf8))["digest"]?.stringValue == image.rootDigest.description)

        let skopeo = try await TestProcess.run(
            try TestProcess.locate("skopeo"), ["inspect", "--raw", "--tls-verify=false", target])
        #expect(skopeo.status == 0)
        #expect(skopeo.stdout == image.rootBytes)

        let pull = await runCommand(["copy", target, "oci:b:v1", "--insecure-registry", registry], in: scratch.path)
        #expect(pull.status == 0, "\(pull.stderr)")
        let raw = await runCommand(["inspect", "oci:b:v1", "--raw"], in: scratch.path)
        #expect(raw.stdoutBytes == image.rootBytes)

        let again = await runCommand(["copy", "oci:a:v1", target, "--insecure-registry", registry], in: scratch.path)
        #expect(again.stdout.contains("skipped"))
    }

    @Test func tlsRegistryWithBasicAuthFromDockerConfig() async throws {
        let registry = try TestServices.tlsRegistry
        let scratch = try LayoutScratchDirectory()
        let config = try Self.dockerConfig(scratch, registry: registry, try TestServices.tlsCredentials)
        try LayoutFixtures.writeLayout([.init(try OCITestImages.image(seed: 22), refName: "v1")], to: scratch.join("a"))
        let target = "\(registry)/\(Self.uniqueRepository("tls")):v1"
        let flags = ["--docker-config", config, "--ca-file", try TestServices.tlsCAFile]

        let push = await runCommand(["copy", "oci:a:v1", target, "--label", "team=a"] + flags, in: scratch.path)
        #expect(push.status == 0, "\(push.stderr)")
        let inspect = await runCommand(["inspect", target, "--format", "json"] + flags, in: scratch.path)
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let images = try JSONValue.parse(Data(inspect.stdout.utf8))["images"]?.arrayValue
        #expect(images?.first?["labels"]?["team"]?.stringValue == "a")

        // Without the CA the certificate is refused; without credentials the registry says 401.
        let untrusted = await runCommand(["inspect", target, "--docker-config", config], in: scratch.path)
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.lowercased().contains("certificate") || untrusted.stderr.contains("TLS"))
        let anonymous = await runCommand(
            ["inspect", target, "--ca-file", try TestServices.tlsCAFile, "--docker-config", scratch.join("none.json")],
            in: scratch.path)
        #expect(anonymous.status == 2, "\(anonymous.stderr)")
        #expect(anonymous.stderr.contains("none.json"))
    }

    @Test func tokenRegistryCopyInspectAndDelete() async throws {
        let registry = try TestServices.tokenRegistry
        let credentials = try TestServices.tokenCredentials
        let scratch = try LayoutScratchDirectory()
        let config = try Self.dockerConfig(scratch, registry: registry, credentials)
        try LayoutFixtures.writeLayout([.init(try OCITestImages.image(seed: 23), refName: "v1")], to: scratch.join("a"))
        let target = "\(registry)/\(Self.uniqueRepository("token")):v1"
        let flags = ["--docker-config", config, "--insecure-registry", registry]

        let push = await runCommand(["copy", "oci:a:v1", target] + flags, in: scratch.path)
        #expect(push.status == 0, "\(push.stderr)")
        let dryRun = await runCommand(["delete", target, "--dry-run"] + flags, in: scratch.path)
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("would delete"))
        let stillThere = await runCommand(["inspect", target] + flags, in: scratch.path)
        #expect(stillThere.status == 0)

        let delete = await runCommand(["delete", target] + flags, in: scratch.path)
        #expect(delete.status == 0, "\(delete.stderr)")
        let gone = await runCommand(["inspect", target] + flags, in: scratch.path)
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("not") || gone.stderr.contains("404"), "\(gone.stderr)")
        #expect(!gone.stderr.contains(credentials.password))
    }

    @Test func plainHTTPIsRefusedUnlessTheRegistryIsNamedInsecure() async throws {
        let registry = try TestServices.plainRegistry
        let scratch = try LayoutScratchDirectory()
        try LayoutFixtures.writeLayout([.init(try OCITestImages.image(seed: 24), refName: "v1")], to: scratch.join("a"))
        let result = await runCommand(
            ["copy", "oci:a:v1", "\(registry)/\(Self.uniqueRepository("refused")):v1"], in: scratch.path)
        #expect(result.status == 1)
        #expect(!result.stderr.isEmpty)
    }

    /// Deletes run as plans: a tag already gone is skipped (a re-run is harmless), not an error.
    @Test func deleteOfAMissingTagIsSkipped() async throws {
        let registry = try TestServices.plainRegistry
        let result = await runCommand(
            ["delete", "\(registry)/\(Self.uniqueRepository("missing")):nope", "--insecure-registry", registry])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("skipped"), "\(result.stdout)")
        #expect(result.stdout.contains("already gone"), "\(result.stdout)")
    }
}
