import Foundation
import HTTPClient

/// Settings every registry request of a run shares.
public struct RegistryConfiguration: Sendable {
    /// Sent as `User-Agent`.
    public var userAgent: String
    /// Registries (`host` or `host:port`) the user named insecure: plain http is allowed for them
    /// (https is tried first) and their TLS certificates are not verified. `http://host:port`
    /// means plain http only, without the https probe. No other registry is spoken to over http.
    public var insecureRegistries: Set<String> {
        didSet { insecureRegistries = Self.normalized(insecureRegistries) }
    }
    /// A PEM CA bundle trusted for every registry instead of the system's (`--ca-file`).
    public var caFile: String?
    /// CA bundles for single registries, by `host[:port]`; these win over `caFile`.
    public var caFiles: [String: String]
    /// Stored credentials and `HttpHeaders`.
    public var dockerConfig: DockerConfig
    /// Credentials given directly, by `host[:port]`; these win over the docker config.
    public var credentials: [String: Credentials]
    public var credentialHelpers: any CredentialHelperRunning
    public var retryPolicy: RetryPolicy
    /// Timeouts for every transfer (TLS fields are set per registry).
    public var transferOptions: HTTPTransferOptions
    /// Blobs up to this size are uploaded in one PUT; larger ones are streamed with PATCH.
    public var monolithicUploadLimit: Int64
    /// When set, PATCH uploads are split into chunks of this many bytes (with `Content-Range`).
    public var uploadChunkSize: Int64?
    /// Where a registry is really reached, by registry name (`docker.io` → `127.0.0.1:5000`): a
    /// mirror, or a local stand-in in tests.
    public var endpoints: [String: String] = [:]

    public init(
        userAgent: String = "ocibatch/dev",
        insecureRegistries: Set<String> = [],
        caFile: String? = nil,
        caFiles: [String: String] = [:],
        dockerConfig: DockerConfig = .empty,
        credentials: [String: Credentials] = [:],
        credentialHelpers: any CredentialHelperRunning = CredentialHelperRunner(),
        retryPolicy: RetryPolicy = RetryPolicy(),
        transferOptions: HTTPTransferOptions = HTTPTransferOptions(),
        monolithicUploadLimit: Int64 = 8 << 20,
        uploadChunkSize: Int64? = nil
    ) {
        self.userAgent = userAgent
        self.insecureRegistries = Self.normalized(insecureRegistries)
        self.caFile = caFile
        self.caFiles = caFiles
        self.dockerConfig = dockerConfig
        self.credentials = credentials
        self.credentialHelpers = credentialHelpers
        self.retryPolicy = retryPolicy
        self.transferOptions = transferOptions
        self.monolithicUploadLimit = monolithicUploadLimit
        self.uploadChunkSize = uploadChunkSize
    }

    private static func normalized(_ names: Set<String>) -> Set<String> {
        Set(names.map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "/")) })
    }

    /// True when `host` (`host` or `host:port`) was named insecure, with or without its port.
    public func isInsecure(_ host: String) -> Bool {
        matches(host) { insecureRegistries.contains($0) || insecureRegistries.contains("http://" + $0) }
    }

    /// True when `host` was named as `http://…`: spoken to over plain http without trying https.
    public func isPlainHTTP(_ host: String) -> Bool {
        matches(host) { insecureRegistries.contains("http://" + $0) }
    }

    private func matches(_ host: String, _ isListed: (String) -> Bool) -> Bool {
        let name = host.lowercased()
        if isListed(name) { return true }
        guard let colon = name.lastIndex(of: ":"), !name.hasSuffix("]") else { return false }
        return isListed(String(name[..<colon]))
    }

    /// Transfer options for requests to `host`: its CA file, and no verification if insecure.
    func transferOptions(for host: String) -> HTTPTransferOptions {
        var options = transferOptions
        options.caFile = caFiles[host] ?? caFile
        options.insecureSkipTLSVerify = isInsecure(host)
        return options
    }
}

/// What one run shares across every registry: the HTTP engine, the token cache and the settings.
///
/// Clients are made once per registry host and reused, so the scheme probe, the learnt challenge
/// and the tokens are shared by every worker.
public final class RegistrySession: Sendable {
    public let configuration: RegistryConfiguration
    public let http: HTTPClient
    public let tokens: TokenCache
    /// Tag → digest checks shared by the deletes of a run (see `StandardDeleteProvider`).
    public let tagDigests = TagDigestCache()
    private let clients = LockedDictionary<String, RegistryClient>()

    public init(configuration: RegistryConfiguration = RegistryConfiguration(), http: HTTPClient? = nil) {
        self.configuration = configuration
        self.http = http ?? HTTPClient(configuration: HTTPClientConfiguration(userAgent: configuration.userAgent))
        self.tokens = TokenCache()
    }

    /// The client for `registry`, a host as written in a reference (Docker Hub's `docker.io` is
    /// reached at `registry-1.docker.io`).
    public func client(for registry: String) -> RegistryClient {
        let name = registry.lowercased()
        let host =
            configuration.endpoints[name]
            ?? (DockerHubNames.isDockerHub(name)
                ? configuration.endpoints["docker.io"] ?? "registry-1.docker.io" : name)
        return clients.value(for: name + " " + host) {
            RegistryClient(name: name, host: host, configuration: configuration, http: http, tokens: tokens)
        }
    }
}

/// A dictionary behind a lock, for caches shared across tasks.
final class LockedDictionary<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Key: Value] = [:]

    func value(for key: Key, orMake make: () -> Value) -> Value {
        lock.withLock {
            if let existing = storage[key] { return existing }
            let made = make()
            storage[key] = made
            return made
        }
    }

    subscript(key: Key) -> Value? {
        get { lock.withLock { storage[key] } }
        set { lock.withLock { storage[key] = newValue } }
    }

    /// Removes and returns the value for `key`.
    func remove(_ key: Key) -> Value? { lock.withLock { storage.removeValue(forKey: key) } }
}

extension RegistryConfiguration {
    /// Settings as the command line gives them: `--docker-config PATH` (else `DOCKER_CONFIG`, else
    /// `~/.docker/config.json`), `--insecure-registry HOST[:PORT]` (repeatable) and `--ca-file PATH`.
    public static func fromFlags(
        dockerConfigPath: String?,
        insecureRegistries: [String] = [],
        caFile: String? = nil,
        userAgent: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> RegistryConfiguration {
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw RegistryError(.unsupported, message: "CA file \(caFile) does not exist or cannot be read")
        }
        return RegistryConfiguration(
            userAgent: userAgent, insecureRegistries: Set(insecureRegistries), caFile: caFile,
            dockerConfig: try DockerConfig.load(path: dockerConfigPath, environment: environment))
    }
}
