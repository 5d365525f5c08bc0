/// Why reading or writing an image on disk failed, with a message that names the file and the problem.
public struct TransportError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Broad classes that callers map to exit codes and retry decisions.
    public enum Kind: Sendable, Equatable {
        /// The input is wrong: missing, malformed, corrupt, hostile or ambiguous. Retrying will not help.
        case invalidInput
        /// The operation failed for another reason (an I/O error while writing, for instance).
        case failed
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func invalid(_ message: String) -> TransportError { TransportError(.invalidInput, message) }
    static func failed(_ message: String) -> TransportError { TransportError(.failed, message) }

    public var description: String { message }
}
