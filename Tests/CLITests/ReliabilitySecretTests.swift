import Foundation
import OCI
import TestSupport
import Testing

/// Credentials of every kind never reach the database, the audit, the output or a dry run; the
/// database is private; TLS is verified and http refused unless a plan names the registry insecure.
@Suite struct ReliabilitySecretTests {
    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// A token for `repository` of the token registry, fetched the way `docker login` would, for a
    /// docker config `registrytoken`.
    static func registryToken(repository: String) async throws -> String {
        let credentials = try TestServices.tokenCredentials
        let scope = "repository:\(repository):pull,push,delete"
        let url =
            try TestServices.tokenServer.appendingPathComponent("token").absoluteString
            + "?service=\(try TestServices.tokenService)&scope=\(scope)"
        let body = try await TestProcess.runChecked(
            "curl", ["-sS", "--fail", "--max-time", "10", "-u", "\(credentials.username):\(credentials.password)", url])
        return try #require(try JSONValue.parse(body)["token"]?.stringValue, "no token in the token server's answer")
    }

    /// One image copy to `target` (with a label, so a mutate runs too), credentials from `dockerConfig`.
    static func copyPlan(_ workspace: RunWorkspace, name: String, dockerConfig: String, target: String) throws
        -> String
    {
        try workspace.write(
            "plan-" + name + ".json",
            """
            {"version": 1, "name": "\(name)-\(workspace.prefix)",
             "defaults": {"workers": 2, "retry": {"attempts": 2, "initialDelay": "10ms", "maxDelay": "50ms"},
                          "dockerConfig": "\(dockerConfig)", "caFile": "\(try TestServices.tlsCAFile)",
                          "insecureRegistries": ["\(try TestServices.tokenRegistry)"]},
             "jobs": [{"id": "copy", "copy": {"from": "oci:./image:v1", "to": "\(target)"},
                       "mutate": {"labels": {"org.example.secret-test": "\(name)"}}}]}
            """)
    }

    @Test func noCredentialOfAnyKindLeaksIntoTheDatabaseAuditOutputOrDryRun() async throws {
        let workspace = try RunWorkspace()
        let tls = try TestServices.tlsRegistry
        let token = try TestServices.tokenRegistry
        let tlsUser = try TestServices.tlsCredentials
        let tokenUser = try TestServices.tokenCredentials
        let refreshToken = try TestServices.tokenRefreshToken
        let wrongPassword = "wrong-password-\(UUID().uuidString.prefix(8))"
        let registryToken = try await Self.registryToken(repository: "\(workspace.prefix)/registrytoken")
        try LayoutFixtures.writeLayout(
            [.init(try OCITestImages.image(seed: 8_900), refName: "v1")], to: workspace.scratch.join("image"))
        // The database goes into a directory ocibatch creates, so its modes are ocibatch's choice.
        let database = workspace.scratch.join("state/ocibatch.db")
        let environment = ["DOCKER_CONFIG": workspace.scratch.join("no-docker-config")]

        let auth = Self.base64("\(tlsUser.username):\(tlsUser.password)")
        let wrongAuth = Self.base64("\(tlsUser.username):\(wrongPassword)")
        let configs = [
            "basic": try Reliability.dockerConfig(
                workspace, "basic.json", registry: tls, entry: #""auth": "\#(auth)""#),
            "userpass": try Reliability.dockerConfig(
                workspace, "userpass.json", registry: tls,
                entry: #""username": "\#(tlsUser.username)", "password": "\#(tlsUser.password)""#),
            "identitytoken": try Reliability.dockerConfig(
                workspace, "identity.json", registry: token, entry: #""identitytoken": "\#(refreshToken)""#),
            "registrytoken": try Reliability.dockerConfig(
                workspace, "registry-token.json", registry: token, entry: #""registrytoken": "\#(registryToken)""#),
        ]
        let targets = [
            "basic": "\(tls)/\(workspace.prefix)/basic:v1", "userpass": "\(tls)/\(workspace.prefix)/userpass:v1",
            "identitytoken": "\(token)/\(workspace.prefix)/identitytoken:v1",
            "registrytoken": "\(token)/\(workspace.prefix)/registrytoken:v1",
        ]
        var outputs: [String] = []
        for (kind, config) in configs.sorted(by: { $0.key < $1.key }) {
            let target = try #require(targets[kind])
            let plan = try Self.copyPlan(workspace, name: kind, dockerConfig: config, target: target)
            let result = try await Reliability.binary(["run", plan], database: database, environment: environment)
            #expect(result.status == 0, "\(kind): \(result.output)")
            outputs.append(result.output)
        }

        let wrongConfig = try Reliability.dockerConfig(
            workspace, "wrong.json", registry: tls, entry: #""auth": "\#(wrongAuth)""#)
        let wrongPlan = try Self.copyPlan(
            workspace, name: "wrong", dockerConfig: wrongConfig, target: "\(tls)/\(workspace.prefix)/wrong:v1")
        let wrong = try await Reliability.binary(["run", wrongPlan], database: database, environment: environment)
        #expect(wrong.status == 1, "\(wrong.output)")
        #expect(!wrong.stderr.isEmpty)
        outputs.append(wrong.output)

        // A dry run of deleting what the runs pushed, with Basic and refresh-token credentials at once.
        let bothConfig = try workspace.write(
            "both.json",
            #"{"auths": {"\#(tls)": {"auth": "\#(auth)"}, "\#(token)": {"identitytoken": "\#(refreshToken)"}}}"#)
        let deletePlan = try workspace.write(
            "delete.json",
            """
            {"version": 1, "name": "delete-\(workspace.prefix)",
             "defaults": {"dockerConfig": "\(bothConfig)", "caFile": "\(try TestServices.tlsCAFile)",
                          "insecureRegistries": ["\(token)"]},
             "jobs": [{"id": "retire", "delete": {"images": ["\(targets["basic"] ?? "")", "\(targets["identitytoken"] ?? "")"]}}]}
            """)
        let dryRun = try await Reliability.binary(
            ["run", deletePlan, "--dry-run"], database: database, environment: environment)
        #expect(dryRun.status == 0, "\(dryRun.output)")
        #expect(dryRun.stdout.contains("would delete"), "\(dryRun.stdout)")
        outputs.append(dryRun.output)
        let audit = try await Reliability.binary(["audit", "--format", "json"], database: database)
        #expect(audit.status == 0, "\(audit.output)")
        #expect(audit.stdout.contains(#""outcome":"failed""#) || audit.stdout.contains("dead"), "\(audit.stdout)")
        outputs.append(audit.output)

        var haystacks = outputs.enumerated().map { ("output \($0.offset)", Data($0.element.utf8)) }
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: database + suffix) {
            haystacks.append(("ocibatch.db" + suffix, try Data(contentsOf: URL(fileURLWithPath: database + suffix))))
        }
        let secrets = [
            tlsUser.password, tokenUser.password, refreshToken, registryToken, wrongPassword, auth, wrongAuth,
            Self.base64("\(tokenUser.username):\(tokenUser.password)"), "Bearer ", "Basic ",
        ]
        for (name, bytes) in haystacks {
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(name) contains \(secret.prefix(12))…")
            }
        }

        let attributes = try FileManager.default.attributesOfItem(atPath: database)
        let directory = try FileManager.default.attributesOfItem(atPath: workspace.scratch.join("state"))
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o600)
        #expect((directory[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o700)
    }

    /// How a plan names (or does not name) a registry, and whether the copy must go through.
    struct TransportCase: CustomTestStringConvertible, Sendable {
        let name: String
        let useTLS: Bool
        /// The plan's `registries` entry for the target registry, as JSON; nil for none.
        let settings: String?
        let succeeds: Bool
        var testDescription: String { name }
    }

    static let transportCases: [TransportCase] = [
        .init(name: "TLS without a trusted CA is refused", useTLS: true, settings: nil, succeeds: false),
        .init(
            name: "TLS named insecure skips verification", useTLS: true, settings: #"{"insecure": true}"#,
            succeeds: true),
        .init(name: "TLS with the registry's caFile is verified", useTLS: true, settings: "CA", succeeds: true),
        .init(name: "plain http is refused when not named insecure", useTLS: false, settings: nil, succeeds: false),
        .init(name: "plain http named insecure", useTLS: false, settings: #"{"insecure": true}"#, succeeds: true),
    ]

    @Test(arguments: transportCases) func transportSecurityFollowsThePlansRegistrySettings(_ testCase: TransportCase)
        async throws
    {
        let workspace = try RunWorkspace()
        let registry = testCase.useTLS ? try TestServices.tlsRegistry : workspace.registry
        let credentials = try TestServices.tlsCredentials
        let config = try Reliability.dockerConfig(
            workspace, "config.json", registry: registry,
            entry: #""auth": "\#(Self.base64("\(credentials.username):\(credentials.password)"))""#)
        try LayoutFixtures.writeLayout(
            [.init(try OCITestImages.image(seed: 8_950), refName: "v1")], to: workspace.scratch.join("image"))
        let settings = testCase.settings == "CA" ? #"{"caFile": "\#(try TestServices.tlsCAFile)"}"# : testCase.settings
        let registries = settings.map { #", "registries": {"\#(registry)": \#($0)}"# } ?? ""
        let target = "\(registry)/\(workspace.prefix)/transport:v1"
        let plan = try workspace.write(
            "transport.json",
            """
            {"version": 1, "name": "transport-\(workspace.prefix)",
             "defaults": {"dockerConfig": "\(config)",
                          "retry": {"attempts": 2, "initialDelay": "10ms", "maxDelay": "50ms"}}\(registries),
             "jobs": [{"id": "copy", "copy": {"from": "oci:./image:v1", "to": "\(target)"}}]}
            """)
        let result = await workspace.ocibatch(["run", plan])
        #expect(result.status == (testCase.succeeds ? 0 : 1), "\(result.stdout)\(result.stderr)")
        if !testCase.succeeds {
            let text = result.stdout + result.stderr
            let named = testCase.useTLS ? ["certificate", "TLS"] : ["http", "insecure"]
            #expect(named.contains { text.contains($0) }, "the error does not say why: \(text)")
        }
    }
}
