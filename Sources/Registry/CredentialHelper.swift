import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Asks a docker credential helper for a registry's credentials.
public protocol CredentialHelperRunning: Sendable {
    /// The credentials `helper` holds for `serverURL`, or nil when it has none.
    func get(helper: String, serverURL: String) async throws -> Credentials?
}

/// Runs `docker-credential-<helper> get` with the server on stdin, as docker does.
///
/// The helper answers `{"ServerURL":…,"Username":…,"Secret":…}`; a user name of `<token>` means
/// the secret is an identity token. "credentials not found" on a failed run means no credentials.
public struct CredentialHelperRunner: CredentialHelperRunning {
    public var timeout: Duration
    public var searchPath: String

    public init(
        timeout: Duration = .seconds(30),
        searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    ) {
        self.timeout = timeout
        self.searchPath = searchPath
    }

    public func get(helper: String, serverURL: String) async throws -> Credentials? {
        let program = "docker-credential-\(helper)"
        guard let executable = locate(program) else { throw CredentialHelperError.notFound(program: program) }
        let result = try await run(executable, program: program, input: serverURL + "\n")
        guard result.status == 0 else {
            if result.output.localizedCaseInsensitiveContains("credentials not found") { return nil }
            throw CredentialHelperError.failed(program: program, status: result.status)
        }
        struct Answer: Decodable {
            var username: String?
            var secret: String?
            enum CodingKeys: String, CodingKey {
                case username = "Username"
                case secret = "Secret"
            }
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(result.output.utf8)) else {
            throw CredentialHelperError.invalidOutput(program: program)
        }
        if answer.username == "<token>" { return Credentials(identityToken: answer.secret) }
        return Credentials(username: answer.username, password: answer.secret)
    }

    private func locate(_ program: String) -> String? {
        for directory in searchPath.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs the helper off the cooperative pool, killing its process group when the timeout passes.
    ///
    /// Its stdin is one end of a socket pair, written with `MSG_NOSIGNAL`: a helper that exits
    /// without reading makes the write fail with EPIPE instead of killing ocibatch with SIGPIPE.
    private func run(_ executable: String, program: String, input: String) async throws -> (
        status: Int32, output: String
    ) {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw CredentialHelperError.notFound(program: program)
        }
        let (ours, theirs) = (ends[0], ends[1])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["get"]
        let stdout = Pipe()
        process.standardInput = FileHandle(fileDescriptor: theirs, closeOnDealloc: false)
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            close(theirs)
        } catch {
            close(theirs)
            close(ours)
            throw CredentialHelperError.notFound(program: program)
        }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        return try await withCheckedThrowingContinuation { continuation in
            let answer = ResumeOnce(continuation)
            // The deadline answers at once even if something still holds the helper's stdout open.
            // Foundation starts the helper in its own process group, so the group is what is killed.
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [process] in
                guard answer.resume(with: .failure(CredentialHelperError.timedOut(program: program))) else { return }
                if process.isRunning { kill(-process.processIdentifier, SIGKILL) }
            }
            DispatchQueue.global().async {
                Self.send(Data(input.utf8), to: ours)
                close(ours)
                let data = stdout.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                let output = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                answer.resume(with: .success((process.terminationStatus, output)))
            }
        }
    }

    /// Writes all of `data` unless the reader is gone; never raises SIGPIPE.
    private static func send(_ data: Data, to socket: Int32) {
        data.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.send(socket, base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

/// Resumes a continuation with whichever result comes first.
private final class ResumeOnce<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, any Error>?

    init(_ continuation: CheckedContinuation<Value, any Error>) { self.continuation = continuation }

    /// Returns false when a result was already delivered.
    @discardableResult
    func resume(with result: Result<Value, any Error>) -> Bool {
        let pending = lock.withLock { () -> CheckedContinuation<Value, any Error>? in
            defer { continuation = nil }
            return continuation
        }
        pending?.resume(with: result)
        return pending != nil
    }
}

/// A credential helper that could not answer. Never carries what the helper printed: a helper
/// that fails halfway may have printed its secret.
public enum CredentialHelperError: Error, Equatable, CustomStringConvertible {
    case notFound(program: String)
    case failed(program: String, status: Int32)
    case invalidOutput(program: String)
    case timedOut(program: String)

    public var description: String {
        switch self {
        case .notFound(let program): "credential helper \(program) was not found on PATH"
        case .failed(let program, let status):
            "credential helper \(program) failed with exit status \(status) (its output is not shown: it may hold a secret)"
        case .invalidOutput(let program): "credential helper \(program) printed something that is not its JSON answer"
        case .timedOut(let program): "credential helper \(program) did not answer in time"
        }
    }
}
