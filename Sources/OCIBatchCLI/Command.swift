import Foundation

/// Exit statuses shared by every command (README "Exit codes").
enum ExitStatus {
    static let success: Int32 = 0
    static let operationFailed: Int32 = 1
    static let invalidInput: Int32 = 2
    static let interrupted: Int32 = 130
}

/// Where a command writes and what it can see; tests substitute buffers and an environment.
final class CommandContext: @unchecked Sendable {
    let environment: [String: String]
    let workingDirectory: String
    private let lock = NSLock()
    private let writeOut: @Sendable (Data) -> Void
    private let writeErr: @Sendable (Data) -> Void

    init(
        environment: [String: String],
        workingDirectory: String,
        stdout: @escaping @Sendable (Data) -> Void,
        stderr: @escaping @Sendable (Data) -> Void
    ) {
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.writeOut = stdout
        self.writeErr = stderr
    }

    /// Writes one line (a newline is added) to standard output.
    func print(_ line: String) { lock.withLock { writeOut(Data((line + "\n").utf8)) } }
    private var cleanups: [@Sendable () -> Void] = []

    /// Registers work to do when the command ends, whatever its outcome (stopping HTTP threads).
    func atEnd(_ cleanup: @escaping @Sendable () -> Void) { lock.withLock { cleanups.append(cleanup) } }

    func runCleanups() {
        let pending = lock.withLock { () -> [@Sendable () -> Void] in
            defer { cleanups = [] }
            return cleanups
        }
        for cleanup in pending.reversed() { cleanup() }
    }

    /// Writes bytes to standard output exactly as given.
    func printRaw(_ data: Data) { lock.withLock { writeOut(data) } }
    /// Writes one line to standard error.
    func printError(_ line: String) { lock.withLock { writeErr(Data((line + "\n").utf8)) } }

    static func process() -> CommandContext {
        CommandContext(
            environment: ProcessInfo.processInfo.environment,
            workingDirectory: FileManager.default.currentDirectoryPath,
            // A reader that went away (`ocibatch audit | head`) must not stop a command, least of all
            // a run: what cannot be written is dropped (SIGPIPE is ignored, so the write fails).
            stdout: { try? FileHandle.standardOutput.write(contentsOf: $0) },
            stderr: { try? FileHandle.standardError.write(contentsOf: $0) }
        )
    }
}

/// One subcommand: its name, help text, arguments and behaviour.
struct Subcommand: Sendable {
    let name: String
    let summary: String
    let usage: String
    let details: String
    let arguments: ArgumentSpec
    let run: @Sendable (ParsedArguments, CommandContext) async throws -> Int32

    func help() -> String {
        var text = "Usage: ocibatch \(usage)\n\n\(summary)\n"
        if !details.isEmpty { text += "\n\(details)\n" }
        if !arguments.options.isEmpty { text += "\nOptions:\n\(arguments.optionsHelp())\n" }
        text += "  --help" + String(repeating: " ", count: 2) + "Show this help.\n"
        return text
    }
}
