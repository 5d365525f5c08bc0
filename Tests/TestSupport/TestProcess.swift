import Foundation

/// Runs external programs (skopeo, umoci, curl, docker-registry) from tests and captures what they print.
public enum TestProcess {
    /// The exit status and everything the program wrote.
    public typealias Output = (status: Int32, stdout: Data, stderr: Data)

    /// Runs `executable` (a name looked up on `PATH`, or a path) and waits for it to exit.
    ///
    /// `environment` is added to the test process's own environment; `input` becomes its stdin
    /// (empty when nil). Output goes through temporary files, so a chatty program cannot block on a
    /// full pipe.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], input: Data? = nil
    ) throws -> Output {
        let launch = try Launch(executable, arguments, environment: environment, input: input)
        defer { launch.removeFiles() }
        try launch.process.run()
        launch.process.waitUntilExit()
        return try launch.output()
    }

    /// The same, without holding one of the cooperative pool's few threads while the program runs.
    ///
    /// Swift picks this overload in async code, so there it is `try await TestProcess.run(...)`.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], input: Data? = nil
    ) async throws -> Output {
        let launch = try Launch(executable, arguments, environment: environment, input: input)
        defer { launch.removeFiles() }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            launch.process.terminationHandler = { _ in continuation.resume() }
            do {
                try launch.process.run()
            } catch {
                launch.process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return try launch.output()
    }

    /// Runs the program and returns its stdout, or throws with its stderr when it exits non-zero.
    public static func runChecked(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], input: Data? = nil
    ) async throws -> Data {
        let output = try await run(executable, arguments, environment: environment, input: input)
        guard output.status == 0 else {
            throw TestProcessError.failed(executable: executable, status: output.status, stderr: output.stderr)
        }
        return output.stdout
    }

    /// The full path of `executable`: itself when it contains a `/`, else the first match on `PATH`.
    public static func locate(_ executable: String) throws -> String {
        if executable.contains("/") { return executable }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestProcessError.notFound(executable: executable, path: path)
    }
}

/// Why an external program could not be run, or failed.
public enum TestProcessError: Error, CustomStringConvertible, Sendable {
    case notFound(executable: String, path: String)
    case failed(executable: String, status: Int32, stderr: Data)

    public var description: String {
        switch self {
        case .notFound(let executable, let path):
            return "\(executable) is not on PATH (\(path)); Tests/run installs the tools the tests use"
        case .failed(let executable, let status, let stderr):
            return "\(executable) exited with status \(status): \(String(decoding: stderr, as: UTF8.self))"
        }
    }
}

/// A configured, not yet started process with its stdin, stdout and stderr files.
private final class Launch {
    let process = Process()
    private let directory: URL
    private let stdoutURL: URL
    private let stderrURL: URL

    init(_ executable: String, _ arguments: [String], environment: [String: String], input: Data?) throws {
        process.executableURL = URL(fileURLWithPath: try TestProcess.locate(executable))
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("test-process-\(UUID().uuidString)")
        stdoutURL = directory.appendingPathComponent("stdout")
        stderrURL = directory.appendingPathComponent("stderr")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stdinURL = directory.appendingPathComponent("stdin")
        try (input ?? Data()).write(to: stdinURL)
        try Data().write(to: stdoutURL)
        try Data().write(to: stderrURL)
        process.standardInput = try FileHandle(forReadingFrom: stdinURL)
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
    }

    func output() throws -> TestProcess.Output {
        (process.terminationStatus, try Data(contentsOf: stdoutURL), try Data(contentsOf: stderrURL))
    }

    func removeFiles() {
        try? FileManager.default.removeItem(at: directory)
    }
}
