import Foundation
import TestSupport
import Testing

@testable import Registry

private func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

private func config(_ json: String) throws -> DockerConfig { try DockerConfig(data: Data(json.utf8)) }

/// A helper runner that answers from a table and records what it was asked.
private final class FakeHelpers: CredentialHelperRunning, @unchecked Sendable {
    let answers: [String: Credentials]
    private let lock = NSLock()
    private var askedStore: [String] = []
    var asked: [String] { lock.withLock { askedStore } }
    init(_ answers: [String: Credentials]) { self.answers = answers }
    func get(helper: String, serverURL: String) async throws -> Credentials? {
        lock.withLock { askedStore.append("\(helper) \(serverURL)") }
        return answers["\(helper) \(serverURL)"]
    }
}

@Suite struct DockerConfigTests {
    @Test(arguments: [
        ("ghcr.io", "ghcr.io"),
        ("https://ghcr.io", "ghcr.io"),
        ("http://localhost:5000/v2/", "localhost:5000"),
        ("https://quay.io/v1/", "quay.io"),
        ("Registry.Example.COM", "registry.example.com"),
        ("docker.io", "https://index.docker.io/v1/"),
        ("index.docker.io", "https://index.docker.io/v1/"),
        ("registry-1.docker.io", "https://index.docker.io/v1/"),
        ("https://index.docker.io/v1/", "https://index.docker.io/v1/"),
    ])
    func keysAreNormalisedLikeDockerCLI(key: String, expected: String) {
        #expect(DockerConfig.normalizedKey(key) == expected)
    }

    @Test func authFieldReplacesUsernameAndPassword() async throws {
        let parsed = try config(
            """
            {"auths": {"https://reg.example.com/v2/": {"auth": "\(base64("alice:s3cr:et\0"))", "username": "bob",
             "password": "other"}}}
            """
        )
        let found = try await parsed.credentials(for: "reg.example.com", helpers: FakeHelpers([:]))
        #expect(found == Credentials(username: "alice", password: "s3cr:et"))
    }

    @Test func usernamePasswordAndTokensAreRead() async throws {
        let parsed = try config(
            """
            {"AUTHS": {"a.example": {"Username": "u", "Password": "p"},
                       "b.example": {"identitytoken": "refresh-me"},
                       "c.example": {"registrytoken": "bearer-me"}}}
            """
        )
        let helpers = FakeHelpers([:])
        #expect(
            try await parsed.credentials(for: "a.example", helpers: helpers)
                == Credentials(username: "u", password: "p"))
        #expect(try await parsed.credentials(for: "b.example", helpers: helpers).identityToken == "refresh-me")
        #expect(try await parsed.credentials(for: "c.example", helpers: helpers).registryToken == "bearer-me")
        #expect(try await parsed.credentials(for: "d.example", helpers: helpers).isAnonymous)
    }

    @Test func dockerHubAliasesShareOneEntry() async throws {
        let parsed = try config(#"{"auths": {"https://index.docker.io/v1/": {"auth": "\#(base64("hub:pw"))"}}}"#)
        for host in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
            let found = try await parsed.credentials(for: host, helpers: FakeHelpers([:]))
            #expect(found.username == "hub", "host \(host)")
        }
    }

    @Test(arguments: ["bm90IGJhc2U2NA", "!!!", base64("nocolon"), base64(":emptyuser")])
    func invalidAuthFieldIsRejectedWithoutTheSecret(auth: String) throws {
        let error = #expect(throws: DockerConfigError.self) {
            try config(#"{"auths": {"x.example": {"auth": "\#(auth)"}}}"#)
        }
        #expect(error == .invalidAuth(key: "x.example"))
        #expect(error?.description.contains(auth) == false)
    }

    @Test func helpersWinOverStoreAndStoreOverAuths() async throws {
        let parsed = try config(
            """
            {"auths": {"a.example": {"auth": "\(base64("file:pw"))"}, "b.example": {"auth": "\(base64("file:pw"))"},
                       "c.example": {"auth": "\(base64("file:pw"))"}},
             "credsStore": "store", "credHelpers": {"https://a.example": "special"}}
            """
        )
        let helpers = FakeHelpers([
            "special a.example": Credentials(username: "from-helper", password: "x"),
            "store b.example": Credentials(username: "from-store", password: "y"),
            "store https://index.docker.io/v1/": Credentials(identityToken: "hub-token"),
        ])
        #expect(try await parsed.credentials(for: "a.example", helpers: helpers).username == "from-helper")
        #expect(try await parsed.credentials(for: "b.example", helpers: helpers).username == "from-store")
        // The store knows nothing of c.example: the file entry is used.
        #expect(try await parsed.credentials(for: "c.example", helpers: helpers).username == "file")
        #expect(try await parsed.credentials(for: "docker.io", helpers: helpers).identityToken == "hub-token")
        #expect(helpers.asked.contains("special a.example"))
        #expect(!helpers.asked.contains("store a.example"))
    }

    /// docker/cli looks the exact key up first; which of several spellings wins must not depend
    /// on dictionary order.
    @Test(arguments: 0..<8)
    func exactKeyWinsOverNormalisedSpellings(round: Int) async throws {
        let spellings = [
            ("https://reg.example:5000/v1/", "a"), ("reg.example:5000", "exact"), ("http://reg.example:5000", "b"),
            ("REG.example:5000", "c"),
        ]
        let ordered = round % 2 == 0 ? spellings : spellings.reversed()
        func entry(_ spelling: (String, String)) -> String {
            let auth = base64("user-" + spelling.1 + ":pw")
            return #""\#(spelling.0)": {"auth": "\#(auth)"}"#
        }
        let parsed = try config(#"{"auths": {\#(ordered.map(entry).joined(separator: ", "))}}"#)
        #expect(
            try await parsed.credentials(for: "reg.example:5000", helpers: FakeHelpers([:])).username == "user-exact")
        // Without an exact key, the first spelling in string order wins, every time.
        let inexact = ordered.filter { $0.1 != "exact" }.map(entry)
        let second = try config(#"{"auths": {\#(inexact.joined(separator: ", "))}}"#)
        #expect(try await second.credentials(for: "reg.example:5000", helpers: FakeHelpers([:])).username == "user-c")
    }

    @Test(arguments: [
        (#"{"auths": []}"#, "auths"), (#"{"auths": {"r.example": {"auth": 12}}}"#, #"auths["r.example"].auth"#),
        (#"{"auths": {"r.example": {"username": true}}}"#, #"auths["r.example"].username"#),
        (#"{"credHelpers": {"r.example": 1}}"#, #"credHelpers["r.example"]"#),
    ])
    func fieldsOfTheWrongTypeAreErrors(json: String, path: String) throws {
        #expect(throws: DockerConfigError.invalidValue(source: "docker config", path: path)) { try config(json) }
    }

    @Test func nullFieldsAndAByteOrderMarkAreAccepted() async throws {
        let parsed = try DockerConfig(
            data: Data([0xEF, 0xBB, 0xBF]) + Data(#"{"auths": {"r.example": {"auth": null, "username": "u"}}}"#.utf8))
        #expect(try await parsed.credentials(for: "r.example", helpers: FakeHelpers([:])).username == "u")
    }

    @Test func httpHeadersAreRead() throws {
        let parsed = try config(#"{"HttpHeaders": {"X-Meta": "one"}, "unknown": 1}"#)
        #expect(parsed.httpHeaders == ["X-Meta": "one"])
    }

    @Test func emptyDocumentIsEmptyConfigButBadJSONIsNot() throws {
        #expect(try config("  \n").auths.isEmpty)
        #expect(throws: DockerConfigError.invalidJSON(source: "docker config")) { try config("{") }
        #expect(throws: DockerConfigError.notAnObject(source: "docker config")) { try config("[]") }
    }

    @Test func credentialsDescriptionRedactsSecrets() {
        let all = Credentials(username: "me", password: "hunter2", identityToken: "idtok", registryToken: "regtok")
        for text in [all.description, all.debugDescription, "\(all)", String(reflecting: all)] {
            #expect(!text.contains("hunter2") && !text.contains("idtok") && !text.contains("regtok"))
        }
        #expect(all.description.contains("me"))
        #expect(Credentials.anonymous.description == "anonymous")
    }
}

@Suite struct DockerConfigLocationTests {
    private func makeDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "registry-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func write(_ json: String, to path: String) throws {
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func explicitFileAndKubernetesSecretDirectory() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write(
            #"{"auths": {"k8s.example": {"username": "k", "password": "p"}}}"#, to: directory + "/.dockerconfigjson")
        #expect(try DockerConfig.load(path: directory, environment: [:]).auths["k8s.example"]?.username == "k")
        try write(#"{"auths": {"file.example": {"username": "f", "password": "p"}}}"#, to: directory + "/other.json")
        let fromFile = try DockerConfig.load(path: directory + "/other.json", environment: [:])
        #expect(fromFile.auths["file.example"]?.username == "f")
    }

    @Test func environmentThenHomeThenNothing() throws {
        let dockerConfig = try makeDirectory()
        let home = try makeDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: dockerConfig)
            try? FileManager.default.removeItem(atPath: home)
        }
        try write(#"{"auths": {"env.example": {"username": "e", "password": "p"}}}"#, to: dockerConfig + "/config.json")
        try FileManager.default.createDirectory(atPath: home + "/.docker", withIntermediateDirectories: true)
        try write(
            #"{"auths": {"home.example": {"username": "h", "password": "p"}}}"#, to: home + "/.docker/config.json")
        let fromEnvironment = try DockerConfig.load(
            path: nil, environment: ["DOCKER_CONFIG": dockerConfig, "HOME": home])
        #expect(fromEnvironment.auths.keys.sorted() == ["env.example"])
        let fromHome = try DockerConfig.load(path: nil, environment: ["HOME": home])
        #expect(fromHome.auths.keys.sorted() == ["home.example"])
        let nothing = try DockerConfig.load(path: nil, environment: ["HOME": dockerConfig + "/absent"])
        #expect(nothing.auths.isEmpty)
    }

    @Test func missingExplicitPathAndEmptyDirectoryAreErrors() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: DockerConfigError.missing(path: directory + "/nope")) {
            try DockerConfig.load(path: directory + "/nope", environment: [:])
        }
        #expect(throws: DockerConfigError.noConfigInDirectory(path: directory)) {
            try DockerConfig.load(path: directory, environment: [:])
        }
    }
}

@Suite struct CredentialHelperRunnerTests {
    /// Writes `docker-credential-<name>` scripts into a fresh directory used as the search path.
    private func helperDirectory(_ scripts: [String: String]) throws -> String {
        let path = NSTemporaryDirectory() + "registry-helpers-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, body) in scripts {
            let file = "\(path)/docker-credential-\(name)"
            try Data(("#!/bin/sh\n" + body).utf8).write(to: URL(fileURLWithPath: file))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file)
        }
        return path
    }

    @Test func helperProtocolAnswersAndErrors() async throws {
        let directory = try helperDirectory([
            "echoing": #"""
            read server
            [ "$1" = get ] || exit 3
            printf '{"ServerURL":"%s","Username":"user-for-%s","Secret":"pw"}' "$server" "$server"
            """#,
            "token": #"read server; printf '{"Username":"<token>","Secret":"refresh"}'"#,
            "none": #"read server; echo "credentials not found in native keychain"; exit 1"#,
            "broken": #"read server; echo "boom"; exit 2"#,
            "garbage": #"read server; echo "not json""#,
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runner = CredentialHelperRunner(searchPath: directory)
        let found = try await runner.get(helper: "echoing", serverURL: "reg.example")
        #expect(found == Credentials(username: "user-for-reg.example", password: "pw"))
        #expect(try await runner.get(helper: "token", serverURL: "x") == Credentials(identityToken: "refresh"))
        #expect(try await runner.get(helper: "none", serverURL: "x") == nil)
        await #expect(
            throws: CredentialHelperError.failed(program: "docker-credential-broken", status: 2)
        ) {
            try await runner.get(helper: "broken", serverURL: "x")
        }
        await #expect(throws: CredentialHelperError.invalidOutput(program: "docker-credential-garbage")) {
            try await runner.get(helper: "garbage", serverURL: "x")
        }
        await #expect(throws: CredentialHelperError.notFound(program: "docker-credential-absent")) {
            try await runner.get(helper: "absent", serverURL: "x")
        }
    }

    @Test func failingHelperOutputIsNeverInTheError() async throws {
        let directory = try helperDirectory(["leaky": #"read server; echo "boom hunter2-secret"; exit 3"#])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let error = await #expect(throws: CredentialHelperError.self) {
            try await CredentialHelperRunner(searchPath: directory).get(helper: "leaky", serverURL: "x")
        }
        let text = error.map(String.init(describing:)) ?? ""
        #expect(text.contains("docker-credential-leaky") && text.contains("exit status 3"))
        #expect(!text.contains("hunter2") && !text.contains("boom"))
    }

    /// A helper that answers without reading stdin has often exited before the server name is
    /// written: the write must fail quietly (EPIPE), not kill the process with SIGPIPE.
    @Test func helperThatNeverReadsStdinIsAnswered() async throws {
        let directory = try helperDirectory(["noread": #"printf '{"Username":"u","Secret":"p"}'"#])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runner = CredentialHelperRunner(searchPath: directory)
        // A server name far larger than a socket buffer, so the write is still going when the helper exits.
        let server = String(repeating: "x", count: 4 << 20)
        for _ in 0..<5 {
            #expect(
                try await runner.get(helper: "noread", serverURL: server) == Credentials(username: "u", password: "p"))
        }
    }

    @Test func hungHelperIsKilledWithItsChildren() async throws {
        let marker = NSTemporaryDirectory() + "helper-child-\(UUID().uuidString)"
        // The child keeps running (and would keep the marker's pid alive) unless its group is killed.
        let directory = try helperDirectory(["hangs": "sleep 60 & echo $! > \(marker); wait\n"])
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: marker)
        }
        let runner = CredentialHelperRunner(timeout: .milliseconds(500), searchPath: directory)
        await #expect(throws: CredentialHelperError.timedOut(program: "docker-credential-hangs")) {
            try await runner.get(helper: "hangs", serverURL: "x")
        }
        let childText = try String(contentsOfFile: marker, encoding: .utf8)
        let child = try #require(Int32(childText.trimmingCharacters(in: .whitespacesAndNewlines)))
        // The kill is sent as the timeout answers; the child is gone once the signal is delivered.
        #expect(await HTTPTestPolling.until { kill(child, 0) != 0 || Self.isZombie(child) })
    }

    private static func isZombie(_ pid: Int32) -> Bool {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    @Test func hangingHelperTimesOut() async throws {
        let directory = try helperDirectory(["slow": "exec sleep 60\n"])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runner = CredentialHelperRunner(timeout: .milliseconds(200), searchPath: directory)
        await #expect(throws: CredentialHelperError.timedOut(program: "docker-credential-slow")) {
            try await runner.get(helper: "slow", serverURL: "x")
        }
    }
}

@Suite struct RegistryConfigurationTests {
    @Test func flagsBuildTheConfiguration() throws {
        let directory = NSTemporaryDirectory() + "registry-flags-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(#"{"auths":{"r.example":{"username":"u","password":"p"}}}"#.utf8)
            .write(to: URL(fileURLWithPath: directory + "/config.json"))
        let configuration = try RegistryConfiguration.fromFlags(
            dockerConfigPath: directory, insecureRegistries: ["Local.Example:5000", "http://127.0.0.1:5001"],
            userAgent: "ocibatch/1.0", environment: [:])
        #expect(configuration.dockerConfig.auths["r.example"]?.username == "u")
        #expect(configuration.isInsecure("local.example:5000"))
        #expect(!configuration.isPlainHTTP("local.example:5000"))
        #expect(configuration.isPlainHTTP("127.0.0.1:5001"))
        #expect(!configuration.isInsecure("local.example:5001"))
        #expect(!configuration.isInsecure("other.example"))
        #expect(throws: RegistryError.self) {
            try RegistryConfiguration.fromFlags(
                dockerConfigPath: directory, caFile: directory + "/missing.pem", userAgent: "x", environment: [:])
        }
    }

    @Test func insecureByHostCoversEveryPort() {
        let configuration = RegistryConfiguration(insecureRegistries: ["lab.example"])
        #expect(configuration.isInsecure("lab.example:5000"))
        #expect(configuration.isInsecure("LAB.example"))
        #expect(!configuration.isInsecure("lab.example.com"))
    }
}
