import Foundation
import Registry
import TestSupport

/// Sessions and names for tests against the registries `Tests/services/start` runs.
enum RegistryTestSessions {
    /// A session that can reach `kind` (insecure for the plain-http ones, the test CA and user for TLS).
    static func session(
        _ kind: TestRegistryKind, credentials: Credentials? = nil, retryPolicy: RetryPolicy = RetryPolicy(),
        chunkSize: Int64? = nil, monolithicLimit: Int64 = 8 << 20
    ) throws -> RegistrySession {
        let address = try TestServices.registry(kind).address
        var configuration = RegistryConfiguration(
            userAgent: "ocibatch-tests", retryPolicy: retryPolicy, monolithicUploadLimit: monolithicLimit,
            uploadChunkSize: chunkSize)
        switch kind {
        case .plain, .plain2:
            configuration.insecureRegistries = [address]
        case .tls:
            configuration.caFiles = [address: try TestServices.tlsCAFile]
            let user = try TestServices.tlsCredentials
            configuration.credentials[address] =
                credentials ?? Credentials(username: user.username, password: user.password)
        case .token:
            configuration.insecureRegistries = [address]
            let user = try TestServices.tokenCredentials
            configuration.credentials[address] =
                credentials ?? Credentials(username: user.username, password: user.password)
        }
        return RegistrySession(configuration: configuration)
    }

    /// A repository name no other test uses.
    static func uniqueRepository(_ prefix: String = "registry-tests") -> String {
        "\(prefix)/\(UUID().uuidString.lowercased().prefix(12))"
    }

    /// skopeo's flags to reach `kind`.
    static func skopeoFlags(_ kind: TestRegistryKind) throws -> [String] {
        switch kind {
        case .plain, .plain2: return ["--tls-verify=false"]
        case .tls:
            let user = try TestServices.tlsCredentials
            return ["--cert-dir", try TestServices.tlsCertDirectory, "--creds", "\(user.username):\(user.password)"]
        case .token:
            let user = try TestServices.tokenCredentials
            return ["--tls-verify=false", "--creds", "\(user.username):\(user.password)"]
        }
    }

    /// The raw manifest skopeo reads for `reference` (`host/repo:tag` or `host/repo@digest`).
    static func skopeoRawManifest(_ kind: TestRegistryKind, _ reference: String) async throws -> Data {
        try await TestProcess.runChecked(
            "skopeo", ["inspect", "--raw"] + (try skopeoFlags(kind)) + ["docker://\(reference)"])
    }
}
