import Foundation

/// An image reference, `[registry/]repository[:tag][@digest]`, parsed and normalised.
///
/// Follows the docker reference grammar: the first path segment is a registry only when it has a
/// `.` or a `:`, is `localhost`, or is a bracketed IPv6 address; otherwise the image is on Docker
/// Hub. Docker Hub's names (`docker.io`, `index.docker.io`, `registry-1.docker.io`) become
/// `docker.io`, and single-segment Hub repositories get `library/`. A reference with both a tag
/// and a digest keeps both: the digest is what gets fetched, the tag is kept for display. A
/// reference with neither gets the tag `latest`.
public struct Reference: Hashable, Sendable, CustomStringConvertible {
    /// The registry as written, except that Docker Hub's aliases become `docker.io`.
    public let registry: String
    /// The repository path, e.g. `library/alpine` or `team/app/api`.
    public let repository: String
    public let tag: String?
    public let digest: Digest?

    /// The canonical name of Docker Hub.
    public static let dockerHubRegistry = "docker.io"
    /// The host Docker Hub's registry API answers on.
    public static let dockerHubAPIHost = "registry-1.docker.io"
    private static let dockerHubAliases: Set<String> = ["docker.io", "index.docker.io", "registry-1.docker.io"]
    private static let maxNameLength = 255

    public init(parsing text: String) throws {
        func invalid(_ problem: String) -> OCIError {
            OCIError(.invalidReference, "invalid image reference \"\(text)\": \(problem)")
        }
        guard !text.isEmpty else { throw invalid("it is empty") }
        guard !text.contains(where: { $0.isWhitespace }) else { throw invalid("it contains whitespace") }

        var remainder = Substring(text)
        var digest: Digest?
        if let at = remainder.firstIndex(of: "@") {
            let digestText = String(remainder[remainder.index(after: at)...])
            guard !digestText.contains("@") else { throw invalid("it contains more than one '@'") }
            do {
                digest = try Digest(parsing: digestText)
            } catch let error as OCIError {
                throw invalid("the part after '@' is not a valid digest (\(error.message))")
            }
            remainder = remainder[..<at]
        }

        var tag: String?
        let lastSlash = remainder.lastIndex(of: "/")
        if let colon = remainder.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let tagText = String(remainder[remainder.index(after: colon)...])
            guard Self.isValidTag(tagText) else {
                throw invalid("tag \"\(tagText)\" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
            }
            tag = tagText
            remainder = remainder[..<colon]
        }
        guard !remainder.isEmpty else { throw invalid("the repository name is missing") }
        guard remainder.count <= Self.maxNameLength else {
            throw invalid("the name is longer than \(Self.maxNameLength) characters")
        }

        var registry = Self.dockerHubRegistry
        var path = remainder
        if let slash = remainder.firstIndex(of: "/") {
            let first = remainder[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.hasPrefix("[") {
                if let problem = Self.hostProblem(first) { throw invalid("registry \"\(first)\" \(problem)") }
                registry = Self.dockerHubAliases.contains(first.lowercased()) ? Self.dockerHubRegistry : String(first)
                path = remainder[remainder.index(after: slash)...]
            }
        }
        try self.init(validating: path, registry: registry, tag: tag, digest: digest, invalid: invalid)
    }

    private init(
        validating path: Substring, registry: String, tag: String?, digest: Digest?,
        invalid: (String) -> OCIError
    ) throws {
        if path.contains(where: { $0.isUppercase }) {
            throw invalid("repository \"\(path)\" has upper-case letters; repository names must be lower case")
        }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            guard Self.isValidPathComponent(component) else {
                throw invalid(
                    "repository component \"\(component)\" must be lower-case letters and digits, "
                        + "separated by '.', '_', '__' or '-'")
            }
        }
        var repository = String(path)
        if registry == Self.dockerHubRegistry && !repository.contains("/") { repository = "library/" + repository }
        self.registry = registry
        self.repository = repository
        self.digest = digest
        self.tag = tag ?? (digest == nil ? "latest" : nil)
    }

    /// Builds a reference from parts, validating each.
    public init(registry: String, repository: String, tag: String? = nil, digest: Digest? = nil) throws {
        var text = registry + "/" + repository
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        self = try Reference(parsing: text)
    }

    /// `registry/repository`.
    public var name: String { "\(registry)/\(repository)" }

    /// The normalised full form: `registry/repository[:tag][@digest]`.
    public var description: String {
        var text = name
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }

    /// What to ask the registry for: the digest when there is one, otherwise the tag.
    public var manifestIdentifier: String { digest?.description ?? tag ?? "latest" }

    public var isDockerHub: Bool { registry == Self.dockerHubRegistry }

    /// The host (and port) to send registry API requests to.
    public var apiHost: String { isDockerHub ? Self.dockerHubAPIHost : registry }

    /// The same repository with tag `tag` and no digest.
    public func withTag(_ tag: String) throws -> Reference {
        guard Self.isValidTag(tag) else {
            throw OCIError(
                .invalidReference, "invalid tag \"\(tag)\" for \(name): must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
        }
        return Reference(registry: registry, repository: repository, validTag: tag, digest: nil)
    }

    /// The same reference pinned to `digest`; a tag is kept for display.
    public func withDigest(_ digest: Digest) -> Reference {
        Reference(registry: registry, repository: repository, validTag: tag, digest: digest)
    }

    private init(registry: String, repository: String, validTag: String?, digest: Digest?) {
        self.registry = registry
        self.repository = repository
        self.tag = validTag
        self.digest = digest
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
    public static func isValidTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard (1...128).contains(bytes.count) else { return false }
        for (index, byte) in bytes.enumerated() {
            let isWord = isASCIIAlphanumeric(byte) || byte == UInt8(ascii: "_")
            if index == 0 ? !isWord : !(isWord || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")) {
                return false
            }
        }
        return true
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    private static func isValidPathComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        guard let first = bytes.first, let last = bytes.last, isLowerAlphanumeric(first), isLowerAlphanumeric(last)
        else { return false }
        var index = 0
        while index < bytes.count {
            if isLowerAlphanumeric(bytes[index]) {
                index += 1
                continue
            }
            var end = index
            while end < bytes.count && !isLowerAlphanumeric(bytes[end]) { end += 1 }
            let separator = bytes[index..<end]
            let isValid =
                separator.elementsEqual([UInt8(ascii: ".")]) || separator.elementsEqual([UInt8(ascii: "_")])
                || separator.elementsEqual([UInt8(ascii: "_"), UInt8(ascii: "_")])
                || separator.allSatisfy { $0 == UInt8(ascii: "-") }
            guard isValid else { return false }
            index = end
        }
        return true
    }

    /// Why `host` is not a valid `host[:port]`, or nil when it is.
    private static func hostProblem(_ host: Substring) -> String? {
        var hostPart = host
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return "has '[' without a closing ']'" }
            let address = host[host.index(after: host.startIndex)..<close]
            let allowed = address.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
            guard !address.isEmpty, address.contains(":"), allowed else {
                return "is not a valid IPv6 address in brackets"
            }
            let rest = host[host.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return "has unexpected text after the IPv6 address" }
                port = rest.dropFirst()
            }
            hostPart = ""
        } else if let colon = host.firstIndex(of: ":") {
            hostPart = host[..<colon]
            port = host[host.index(after: colon)...]
        }
        if let port {
            guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCII), let value = Int(port),
                (1...65535).contains(value)
            else { return "has an invalid port \"\(port)\"" }
        }
        if host.hasPrefix("[") { return nil }
        let labels = hostPart.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            let bytes = Array(label.utf8)
            guard let first = bytes.first, let last = bytes.last, isASCIIAlphanumeric(first), isASCIIAlphanumeric(last),
                bytes.allSatisfy({ isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "-") })
            else { return "is not a valid host name" }
        }
        return nil
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}
