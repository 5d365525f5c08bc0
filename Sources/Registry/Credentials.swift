import Foundation

/// What ocibatch presents to a registry: nothing, a user name and password, or a token.
///
/// The secrets never leave through `description`, so a `Credentials` value can be logged or
/// interpolated into an error message without leaking anything.
public struct Credentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var username: String?
    public var password: String?
    /// An OAuth2 refresh token (docker's `identitytoken`), exchanged at the realm for access tokens.
    public var identityToken: String?
    /// A bearer token sent as it is (docker's `registrytoken`).
    public var registryToken: String?

    public init(
        username: String? = nil,
        password: String? = nil,
        identityToken: String? = nil,
        registryToken: String? = nil
    ) {
        self.username = username.nonEmpty
        self.password = password.nonEmpty
        self.identityToken = identityToken.nonEmpty
        self.registryToken = registryToken.nonEmpty
    }

    public static let anonymous = Credentials()

    public var isAnonymous: Bool {
        username == nil && password == nil && identityToken == nil && registryToken == nil
    }

    /// True when there is something a token realm could be sent: a password or an identity token.
    var hasSecret: Bool { basicAuthorization != nil || identityToken != nil }

    /// The value of a `Basic` Authorization header, when a user name and password are known.
    var basicAuthorization: String? {
        guard let username else { return nil }
        let pair = "\(username):\(password ?? "")"
        return "Basic " + Data(pair.utf8).base64EncodedString()
    }

    public var description: String {
        var parts: [String] = []
        if let username { parts.append("user \(username) with password \(password == nil ? "unset" : "set")") }
        if identityToken != nil { parts.append("identity token set") }
        if registryToken != nil { parts.append("registry token set") }
        return parts.isEmpty ? "anonymous" : parts.joined(separator: ", ")
    }

    public var debugDescription: String { "Credentials(\(description))" }
}

extension Optional where Wrapped == String {
    fileprivate var nonEmpty: String? {
        guard let value = self, !value.isEmpty else { return nil }
        return value
    }
}
