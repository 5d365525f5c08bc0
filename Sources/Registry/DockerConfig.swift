import Foundation

/// A docker `config.json`: stored credentials, credential helpers and extra HTTP headers.
///
/// Keys are normalised the way docker/cli does it: the scheme and any path (`/v1/`, `/v2/`) are
/// stripped, and every Docker Hub alias is stored under `https://index.docker.io/v1/`. Lookups go
/// `credHelpers` (for that registry), then `credsStore`, then `auths`.
public struct DockerConfig: Sendable {
    /// Credentials from `auths`, by normalised key.
    public private(set) var auths: [String: Credentials]
    /// Headers docker sends on every request (`HttpHeaders`).
    public private(set) var httpHeaders: [String: String]
    /// The default credential helper (`credsStore`), without the `docker-credential-` prefix.
    public private(set) var credsStore: String?
    /// Per-registry credential helpers, by normalised key.
    public private(set) var credHelpers: [String: String]

    public static let empty = DockerConfig(auths: [:], httpHeaders: [:], credsStore: nil, credHelpers: [:])

    public init(
        auths: [String: Credentials] = [:],
        httpHeaders: [String: String] = [:],
        credsStore: String? = nil,
        credHelpers: [String: String] = [:]
    ) {
        self.auths = Self.byNormalizedKey(auths)
        self.httpHeaders = httpHeaders
        self.credsStore = credsStore.flatMap { $0.isEmpty ? nil : $0 }
        self.credHelpers = Self.byNormalizedKey(credHelpers)
    }

    /// Entries by normalised key. When several keys normalise alike, the one already written in
    /// normalised form wins (docker/cli looks the exact key up first), then the first in string
    /// order, so the choice never depends on dictionary order.
    static func byNormalizedKey<Value>(_ entries: [String: Value]) -> [String: Value] {
        var chosen: [String: (key: String, value: Value)] = [:]
        chosen.reserveCapacity(entries.count)
        for (key, value) in entries {
            let normalized = normalizedKey(key)
            if let held = chosen[normalized], precedes(held.key, key, normalized: normalized) { continue }
            chosen[normalized] = (key, value)
        }
        return chosen.mapValues(\.value)
    }

    private static func precedes(_ first: String, _ second: String, normalized: String) -> Bool {
        let firstIsExact = first == normalized
        let secondIsExact = second == normalized
        if firstIsExact != secondIsExact { return firstIsExact }
        return first < second
    }

    /// Decodes config JSON. Keys match case-insensitively, as Go's decoder does; an empty
    /// document is an empty config. A field of the wrong type is an error, as it is for docker.
    public init(data: Data, source: String = "docker config") throws {
        guard !data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            self = .empty
            return
        }
        let file = try DockerConfigFile.decode(data, source: source)
        var auths: [String: Credentials] = [:]
        auths.reserveCapacity(file.auths.count)
        for (key, entry) in file.auths { auths[key] = try Self.credentials(from: entry, key: key) }
        self.init(
            auths: auths, httpHeaders: file.httpHeaders, credsStore: file.credsStore, credHelpers: file.credHelpers)
    }

    /// Loads the config the way ocibatch finds it.
    ///
    /// - `path`, when given, is a file, or a directory holding `.dockerconfigjson` (a mounted
    ///   Kubernetes secret) or `config.json`; it must exist.
    /// - Otherwise `$DOCKER_CONFIG/config.json`, then `~/.docker/config.json`; a missing file there
    ///   means an empty config.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> DockerConfig
    {
        let fileManager = FileManager.default
        if let path, !path.isEmpty {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw DockerConfigError.missing(path: path)
            }
            guard isDirectory.boolValue else { return try read(path) }
            for name in [".dockerconfigjson", "config.json"] {
                let candidate = (path as NSString).appendingPathComponent(name)
                if fileManager.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                    return try read(candidate)
                }
            }
            throw DockerConfigError.noConfigInDirectory(path: path)
        }
        let directory: String
        if let configured = environment["DOCKER_CONFIG"], !configured.isEmpty {
            directory = configured
        } else if let home = environment["HOME"], !home.isEmpty {
            directory = (home as NSString).appendingPathComponent(".docker")
        } else {
            return .empty
        }
        let file = (directory as NSString).appendingPathComponent("config.json")
        guard fileManager.fileExists(atPath: file) else { return .empty }
        return try read(file)
    }

    private static func read(_ path: String) throws -> DockerConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DockerConfigError.unreadable(path: path)
        }
        return try DockerConfig(data: data, source: path)
    }

    /// The key docker/cli would store `server`'s credentials under.
    ///
    /// `https://ghcr.io/v2/` → `ghcr.io`; any Docker Hub alias → `https://index.docker.io/v1/`.
    public static func normalizedKey(_ server: String) -> String {
        var host = server.trimmingCharacters(in: .whitespaces)
        for scheme in ["https://", "http://"] where host.lowercased().hasPrefix(scheme) {
            host.removeFirst(scheme.count)
        }
        if let slash = host.firstIndex(of: "/") { host = String(host[..<slash]) }
        host = host.lowercased()
        return DockerHubNames.isDockerHub(host) ? DockerHubNames.credentialKey : host
    }

    /// The credentials stored for `registry` (a host such as `ghcr.io` or `localhost:5000`).
    ///
    /// A credential helper that knows nothing about the registry falls through to `auths`; a
    /// helper that fails is an error. No match means anonymous.
    public func credentials(
        for registry: String,
        helpers: any CredentialHelperRunning = CredentialHelperRunner()
    ) async throws -> Credentials {
        let key = Self.normalizedKey(registry)
        for helper in [credHelpers[key], credsStore].compactMap({ $0 }) {
            if let found = try await helpers.get(helper: helper, serverURL: key) { return found }
        }
        return auths[key] ?? .anonymous
    }

    private static func credentials(from entry: DockerConfigFile.AuthEntry, key: String) throws -> Credentials {
        var username = entry.username
        var password = entry.password
        if let auth = entry.auth, !auth.isEmpty {
            guard let decoded = Data(base64Encoded: auth), let pair = String(data: decoded, encoding: .utf8),
                let colon = pair.firstIndex(of: ":"), colon != pair.startIndex
            else { throw DockerConfigError.invalidAuth(key: key) }
            username = String(pair[..<colon])
            password = String(pair[pair.index(after: colon)...]).trimmingCharacters(in: CharacterSet(["\0"]))
        }
        return Credentials(
            username: username, password: password, identityToken: entry.identityToken,
            registryToken: entry.registryToken)
    }
}

/// Why a docker config could not be used. Messages name the file or key, never a secret.
public enum DockerConfigError: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    case unreadable(path: String)
    case noConfigInDirectory(path: String)
    case invalidJSON(source: String)
    case notAnObject(source: String)
    case invalidEntry(key: String)
    case invalidAuth(key: String)
    /// A field of the wrong type, e.g. `auths["host"].auth` that is a number; `path` names it.
    case invalidValue(source: String, path: String)

    public var description: String {
        switch self {
        case .missing(let path): "docker config \(path) does not exist"
        case .unreadable(let path): "docker config \(path) cannot be read"
        case .noConfigInDirectory(let path):
            "docker config directory \(path) holds neither .dockerconfigjson nor config.json"
        case .invalidJSON(let source): "\(source) is not valid JSON"
        case .notAnObject(let source): "\(source) is not a JSON object"
        case .invalidEntry(let key): "docker config entry auths[\"\(key)\"] is not an object"
        case .invalidValue(let source, let path): "\(source): \(path) has the wrong type"
        case .invalidAuth(let key):
            "docker config entry auths[\"\(key)\"] has an \"auth\" field that is not base64 of user:password"
        }
    }
}
