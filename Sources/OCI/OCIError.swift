import Foundation

/// Every failure the OCI model reports: what kind of problem it is, and a message naming the input.
public struct OCIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kind of problem, for callers that react differently (exit codes, retries).
    public enum Kind: String, Sendable, Equatable {
        case invalidDigest
        case invalidReference
        case invalidJSON
        case invalidManifest
        case invalidConfig
        case unsupportedMediaType
        case tooLarge
        case sizeMismatch
        case digestMismatch
        case invalidKeyValue
        case mutationFailed
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
