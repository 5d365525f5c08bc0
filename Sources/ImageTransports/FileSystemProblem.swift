import Foundation

/// Turns a failed system call into a `TransportError` that says what went wrong in plain words
/// (`permission denied`), without Foundation's generic "The operation could not be completed".
enum FileSystemProblem {
    /// The text for `code` (an `errno` value), lower-case as it ends a message: "permission denied".
    static func reason(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    /// True for errors Foundation's file APIs throw (Cocoa or POSIX domain); false for Swift
    /// errors of our own (a registry or transport error), which describe themselves.
    static func isFoundationError(_ error: any Error) -> Bool {
        let domain = (error as NSError).domain
        return domain == NSCocoaErrorDomain || domain == NSPOSIXErrorDomain
    }

    /// The reason inside an error thrown by Foundation's file APIs, when it carries a POSIX code;
    /// any other error's own description.
    static func reason(of error: any Error) -> String {
        guard isFoundationError(error) else { return String(describing: error) }
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain { return reason(Int32(nsError.code)) }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return reason(Int32(underlying.code))
        }
        let text = nsError.localizedDescription
        let generic = "The operation could not be completed. "
        return text.hasPrefix(generic) ? String(text.dropFirst(generic.count)) : text
    }

    /// `message: reason`: a missing file is bad input; anything else (permissions, I/O) a failure.
    static func error(_ message: String, code: Int32) -> TransportError {
        let kind: TransportError.Kind = code == ENOENT || code == ENOTDIR ? .invalidInput : .failed
        return TransportError(kind, "\(message): \(reason(code))")
    }

    /// Opens `path` for reading and closes it again, so that the caller's later open cannot fail for a
    /// reason it would describe badly; throws `subject: cannot be read: <reason>`.
    static func checkReadable(_ path: String, subject: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw error("\(subject) cannot be read", code: errno) }
        close(descriptor)
    }
}
