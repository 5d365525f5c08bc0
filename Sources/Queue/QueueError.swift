/// Why the queue refused or failed an operation. The message names the thing and the problem.
public struct QueueError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: Sendable, Equatable {
        /// The file exists but is not an ocibatch database; it was left untouched.
        case notAnOcibatchDatabase
        /// The database was written by a newer ocibatch; it was left untouched.
        case newerSchema
        /// The database file or its directory could not be created or opened.
        case cannotOpen
        /// The worker no longer holds the step's lease (it expired and someone else took the step).
        case leaseLost
        /// A step names a dependency key that the run does not have.
        case unknownDependency
        /// No run or step with that id.
        case notFound
        /// Invalid arguments (a negative limit, a maximum of zero attempts).
        case invalidArgument
        /// SQLite failed; the message holds its result code and SQL text.
        case database
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
