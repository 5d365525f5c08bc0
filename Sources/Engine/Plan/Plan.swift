import Foundation

/// A validated plan: what `ocibatch run` expands into steps. Made by `PlanLoader`; every path in it
/// is absolute and every default applied.
public struct Plan: Sendable, Equatable {
    /// The format version; always 1.
    public var version: Int
    public var name: String
    public var defaults: PlanDefaults
    /// Per-registry settings keyed by `HOST[:PORT]` as `Reference.registry` spells it (Docker Hub's
    /// aliases become `docker.io`), without the defaults folded in; use `settings(forRegistry:)`.
    public var registries: [String: RegistrySettings]
    public var jobs: [Job]
    /// `sha256:<hex>` of the plan file's bytes: the same file resumes the same run.
    public var contentHash: String
    /// The directory that relative paths in the plan were resolved against.
    public var baseDirectory: String

    public init(
        version: Int = 1, name: String, defaults: PlanDefaults = PlanDefaults(),
        registries: [String: RegistrySettings] = [:], jobs: [Job], contentHash: String, baseDirectory: String
    ) {
        self.version = version
        self.name = name
        self.defaults = defaults
        self.registries = registries
        self.jobs = jobs
        self.contentHash = contentHash
        self.baseDirectory = baseDirectory
    }

    /// The settings for `host` (`HOST[:PORT]`), with `defaults.insecureRegistries` and `defaults.caFile` applied.
    public func settings(forRegistry host: String) -> RegistrySettings {
        var settings = registries[host] ?? RegistrySettings()
        if defaults.insecureRegistries.contains(host) { settings.insecure = true }
        if settings.caFile == nil { settings.caFile = defaults.caFile }
        return settings
    }

    /// The job with `id`, if the plan has one.
    public func job(withID id: String) -> Job? {
        jobs.first { $0.id == id }
    }
}

/// Settings that apply to every job unless the command line overrides them.
public struct PlanDefaults: Sendable, Equatable {
    /// Steps in flight at once; 1…256, default 8.
    public var workers: Int
    public var retry: RetryPolicySettings
    /// Absolute path of the docker config that holds credentials; `nil` means the usual places.
    public var dockerConfig: String?
    /// Registries (`HOST[:PORT]`) reached over http or without TLS verification.
    public var insecureRegistries: [String]
    public var userAgent: String
    /// Absolute path of a PEM bundle trusted for every registry.
    public var caFile: String?

    /// The User-Agent sent when a plan names none.
    public static let defaultUserAgent = "ocibatch/\(OCIBatchVersion.current)"

    public init(
        workers: Int = 8, retry: RetryPolicySettings = RetryPolicySettings(), dockerConfig: String? = nil,
        insecureRegistries: [String] = [], userAgent: String = PlanDefaults.defaultUserAgent, caFile: String? = nil
    ) {
        self.workers = workers
        self.retry = retry
        self.dockerConfig = dockerConfig
        self.insecureRegistries = insecureRegistries
        self.userAgent = userAgent
        self.caFile = caFile
    }
}

/// How often and how patiently a step that failed with a retryable error is tried again.
public struct RetryPolicySettings: Sendable, Equatable {
    /// The most tries, the first included; 1…100, default 5.
    public var attempts: Int
    public var initialDelay: PlanDuration
    public var maxDelay: PlanDuration

    public init(
        attempts: Int = 5, initialDelay: PlanDuration = PlanDuration(seconds: 1),
        maxDelay: PlanDuration = PlanDuration(seconds: 60)
    ) {
        self.attempts = attempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
    }
}

/// Settings for one registry.
public struct RegistrySettings: Sendable, Equatable {
    /// Absolute path of a PEM bundle trusted for this registry.
    public var caFile: String?
    /// Plain http, or https without certificate verification.
    public var insecure: Bool
    /// The most requests in flight to this registry; `nil` means only the worker count limits it.
    public var maxConcurrency: Int?
    /// The most requests per second; `nil` means no rate limit.
    public var requestsPerSecond: Double?
    /// Base URL of the Docker Hub web API (tests point it at a fake); `nil` means the real one.
    public var hubAPI: URL?
    /// Base URL of the IBM Cloud IAM API (tests point it at a fake); `nil` means the real one.
    public var iamAPI: URL?

    public init(
        caFile: String? = nil, insecure: Bool = false, maxConcurrency: Int? = nil, requestsPerSecond: Double? = nil,
        hubAPI: URL? = nil, iamAPI: URL? = nil
    ) {
        self.caFile = caFile
        self.insecure = insecure
        self.maxConcurrency = maxConcurrency
        self.requestsPerSecond = requestsPerSecond
        self.hubAPI = hubAPI
        self.iamAPI = iamAPI
    }
}
