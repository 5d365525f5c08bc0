import Foundation
import OCI

/// Turns a parsed plan document into a `Plan`, checking it against the schema's rules and the
/// rules a schema cannot express; every problem is reported with its JSON path.
public struct PlanValidator: Sendable {
    /// The directory relative paths are resolved against: the plan file's.
    public var baseDirectory: String
    public var homeDirectory: String
    /// Whether files the plan names (CA files, docker config, layout sources) must exist.
    public var checksFiles: Bool

    public init(baseDirectory: String, homeDirectory: String = NSHomeDirectory(), checksFiles: Bool = true) {
        self.baseDirectory = baseDirectory
        self.homeDirectory = homeDirectory
        self.checksFiles = checksFiles
    }

    static let topLevelKeys = ["version", "name", "defaults", "registries", "jobs"]
    static let defaultsKeys = ["workers", "retry", "dockerConfig", "insecureRegistries", "userAgent", "caFile"]
    static let retryKeys = ["attempts", "initialDelay", "maxDelay"]
    static let registryKeys = ["caFile", "insecure", "maxConcurrency", "requestsPerSecond", "hubAPI", "iamAPI"]
    static let maximumWorkers = 256
    static let maximumAttempts = 100

    /// Validates `document`; `source` names the plan in the error, `contentHash` is recorded in the plan.
    public func validate(_ document: JSONValue, source: String, contentHash: String) throws(PlanError) -> Plan {
        var context = ValidationContext(
            files: PlanFileChecker(baseDirectory: baseDirectory, homeDirectory: homeDirectory, checksFiles: checksFiles)
        )
        let plan = context.readPlan(document, contentHash: contentHash, baseDirectory: baseDirectory)
        guard context.reader.problems.isEmpty, let plan else {
            throw PlanError(source: source, problems: context.reader.problems)
        }
        return plan
    }
}

/// The state of one validation pass: the problems found so far and how to check files.
struct ValidationContext {
    var reader = PlanValueReader()
    let files: PlanFileChecker

    mutating func readPlan(_ document: JSONValue, contentHash: String, baseDirectory: String) -> Plan? {
        let root = JSONPath.root
        guard
            let object = reader.object(
                document, at: root, allowed: PlanValidator.topLevelKeys, required: ["version", "name", "jobs"])
        else { return nil }

        if let version = object["version"] {
            readVersion(version, at: root.member("version"))
        }
        var name: String?
        if let value = object["name"], let text = reader.string(value, at: root.member("name")) {
            if PlanSyntax.isValidName(text, maximumLength: 128) {
                name = text
            } else {
                reader.report(
                    root.member("name"),
                    "\"\(text)\" is not a valid plan name: use letters, digits, '.', '_' and '-', "
                        + "starting with a letter or digit, at most 128 characters")
            }
        }
        let defaults = object["defaults"].map { readDefaults($0, at: root.member("defaults")) } ?? PlanDefaults()
        let registries = object["registries"].map { readRegistries($0, at: root.member("registries")) } ?? [:]
        let jobs = object["jobs"].map { readJobs($0, at: root.member("jobs")) } ?? []

        guard let name, let defaults else { return nil }
        return Plan(
            version: 1, name: name, defaults: defaults, registries: registries, jobs: jobs,
            contentHash: contentHash, baseDirectory: baseDirectory)
    }

    private mutating func readVersion(_ value: JSONValue, at path: JSONPath) {
        guard let number = value.numberValue else {
            reader.report(path, "expected the number 1, found \(PlanValueReader.describe(value))")
            return
        }
        if number.int64Value != 1 {
            reader.report(path, "version \(number) is not supported; this ocibatch reads version 1 plans")
        }
    }

    private mutating func readDefaults(_ value: JSONValue, at path: JSONPath) -> PlanDefaults? {
        guard let object = reader.object(value, at: path, allowed: PlanValidator.defaultsKeys) else { return nil }
        var defaults = PlanDefaults()
        if let value = object["workers"],
            let workers = reader.integer(value, at: path.member("workers"), in: 1...PlanValidator.maximumWorkers)
        {
            defaults.workers = workers
        }
        if let value = object["retry"], let retry = readRetry(value, at: path.member("retry")) {
            defaults.retry = retry
        }
        if let value = object["dockerConfig"] {
            defaults.dockerConfig = reader.existingFile(
                value, at: path.member("dockerConfig"), files: files, what: "the docker config")
        }
        if let value = object["insecureRegistries"],
            let hosts = reader.stringArray(value, at: path.member("insecureRegistries"), allowEmpty: true)
        {
            for (index, host) in hosts.enumerated() where !RegistryHostSyntax.isValid(host) {
                reader.report(path.member("insecureRegistries").element(index), RegistryHostSyntax.problem(host))
            }
            defaults.insecureRegistries = hosts.map(RegistryHostSyntax.canonical)
        }
        if let value = object["userAgent"], let agent = reader.nonEmptyString(value, at: path.member("userAgent")) {
            if agent.count > 256 || !agent.unicodeScalars.allSatisfy({ (0x20...0x7e).contains($0.value) }) {
                reader.report(
                    path.member("userAgent"), "must be printable ASCII without line breaks, at most 256 characters")
            } else {
                defaults.userAgent = agent
            }
        }
        if let value = object["caFile"] {
            defaults.caFile = reader.existingFile(value, at: path.member("caFile"), files: files, what: "the CA file")
        }
        return defaults
    }

    private mutating func readRetry(_ value: JSONValue, at path: JSONPath) -> RetryPolicySettings? {
        guard let object = reader.object(value, at: path, allowed: PlanValidator.retryKeys) else { return nil }
        var retry = RetryPolicySettings()
        if let value = object["attempts"],
            let attempts = reader.integer(value, at: path.member("attempts"), in: 1...PlanValidator.maximumAttempts)
        {
            retry.attempts = attempts
        }
        if let value = object["initialDelay"], let delay = reader.duration(value, at: path.member("initialDelay")) {
            retry.initialDelay = delay
        }
        if let value = object["maxDelay"], let delay = reader.duration(value, at: path.member("maxDelay")) {
            retry.maxDelay = delay
        }
        if retry.maxDelay < retry.initialDelay {
            reader.report(
                path.member("maxDelay"),
                "\(retry.maxDelay) is shorter than initialDelay \(retry.initialDelay)")
        }
        return retry
    }

    private mutating func readRegistries(_ value: JSONValue, at path: JSONPath) -> [String: RegistrySettings] {
        guard let object = value.objectValue else {
            reader.report(path, "expected an object keyed by HOST[:PORT], found \(PlanValueReader.describe(value))")
            return [:]
        }
        var registries: [String: RegistrySettings] = [:]
        var keyOfRegistry: [String: String] = [:]
        for member in object {
            let memberPath = path.member(member.key)
            if !RegistryHostSyntax.isValid(member.key) {
                reader.report(memberPath, RegistryHostSyntax.problem(member.key))
            }
            let registry = RegistryHostSyntax.canonical(member.key)
            if let earlier = keyOfRegistry[registry] {
                reader.report(memberPath, "names the same registry as \(path.member(earlier)); merge the two")
            }
            keyOfRegistry[registry] = member.key
            if let settings = readRegistrySettings(member.value, at: memberPath) {
                registries[registry] = settings
            }
        }
        return registries
    }

    private mutating func readRegistrySettings(_ value: JSONValue, at path: JSONPath) -> RegistrySettings? {
        guard let object = reader.object(value, at: path, allowed: PlanValidator.registryKeys) else { return nil }
        var settings = RegistrySettings()
        if let value = object["caFile"] {
            settings.caFile = reader.existingFile(value, at: path.member("caFile"), files: files, what: "the CA file")
        }
        if let value = object["insecure"], let insecure = reader.bool(value, at: path.member("insecure")) {
            settings.insecure = insecure
        }
        if let value = object["maxConcurrency"] {
            settings.maxConcurrency = reader.integer(
                value, at: path.member("maxConcurrency"), in: 1...PlanValidator.maximumWorkers)
        }
        if let value = object["requestsPerSecond"] {
            settings.requestsPerSecond = reader.number(
                value, at: path.member("requestsPerSecond"), above: 0, upTo: 10_000)
        }
        for key in ["hubAPI", "iamAPI"] {
            guard let value = object[key], let text = reader.nonEmptyString(value, at: path.member(key)) else {
                continue
            }
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
                ["http", "https"].contains(scheme),
                url.host?.isEmpty == false
            else {
                reader.report(path.member(key), "\"\(text)\" is not an http or https URL")
                continue
            }
            if key == "hubAPI" { settings.hubAPI = url } else { settings.iamAPI = url }
        }
        return settings
    }
}

/// Names and hosts as plans write them.
enum PlanSyntax {
    /// Letters, digits, '.', '_' and '-', starting with a letter or digit.
    static func isValidName(_ text: String, maximumLength: Int) -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= maximumLength,
            isAlphanumeric(first)
        else { return false }
        return text.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}

/// `HOST[:PORT]` as registries are named in references.
enum RegistryHostSyntax {
    static func isValid(_ text: String) -> Bool {
        var host = Substring(text)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let address = host[host.index(after: host.startIndex)..<close]
            guard !address.isEmpty, address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return false
            }
            host = host[host.index(after: close)...]
            return host.isEmpty || isValidPort(host)
        }
        if let colon = host.firstIndex(of: ":") {
            guard isValidPort(host[colon...]) else { return false }
            host = host[..<colon]
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty
            && labels.allSatisfy { label in
                guard let first = label.unicodeScalars.first, let last = label.unicodeScalars.last else { return false }
                return PlanSyntax.isAlphanumeric(first) && PlanSyntax.isAlphanumeric(last)
                    && label.unicodeScalars.allSatisfy { PlanSyntax.isAlphanumeric($0) || $0 == "-" }
            }
    }

    /// `:PORT` with PORT in 1…65535.
    private static func isValidPort(_ text: Substring) -> Bool {
        guard text.first == ":" else { return false }
        let digits = text.dropFirst()
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(digits)
        else { return false }
        return (1...65_535).contains(port)
    }

    /// The registry as references name it: Docker Hub's aliases become `docker.io`, as `OCI.Reference` does.
    static func canonical(_ host: String) -> String {
        (try? Reference(parsing: host + "/probe"))?.registry ?? host
    }

    static func problem(_ text: String) -> String {
        "\"\(text)\" is not a registry host: expected HOST[:PORT], e.g. registry.example.com or 127.0.0.1:5000"
    }
}
