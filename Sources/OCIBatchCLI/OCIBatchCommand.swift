import Foundation

/// The `ocibatch` command line: parses the subcommand and dispatches to it.
public enum OCIBatchCommand {
    public static let version = "0.1.0"

    /// Runs the command line with the process's environment and standard streams.
    public static func main(arguments: [String]) async -> Int32 {
        await run(arguments: arguments, context: .process())
    }

    static var subcommands: [Subcommand] {
        [
            RunCommand.subcommand, ResumeCommand.subcommand, CopyCommand.subcommand, InspectCommand.subcommand,
            DeleteCommand.subcommand, ValidateCommand.subcommand, StatusCommand.subcommand, RunsCommand.subcommand,
            AuditCommand.subcommand, BenchQueueCommand.subcommand, VersionCommand.subcommand,
        ]
    }

    static func run(arguments: [String], context: CommandContext) async -> Int32 {
        guard let name = arguments.first else {
            context.printError(overview())
            return ExitStatus.invalidInput
        }
        if name == "--help" || name == "-h" || name == "help" {
            if arguments.count > 1, let command = subcommands.first(where: { $0.name == arguments[1] }) {
                context.print(command.help())
            } else {
                context.print(overview())
            }
            return ExitStatus.success
        }
        if name == "--version" {
            context.print("ocibatch \(version)")
            return ExitStatus.success
        }
        guard let command = subcommands.first(where: { $0.name == name }) else {
            context.printError("ocibatch: unknown command '\(name)'. Run 'ocibatch --help' for the list.")
            return ExitStatus.invalidInput
        }
        let rest = Array(arguments.dropFirst())
        if rest.contains("--help") || rest.contains("-h") {
            context.print(command.help())
            return ExitStatus.success
        }
        defer { context.runCleanups() }
        do {
            let parsed = try command.arguments.parse(rest)
            return try await command.run(parsed, context)
        } catch let error as UsageError {
            context.printError("ocibatch \(name): \(error.description)\nUsage: ocibatch \(command.usage)")
            return ExitStatus.invalidInput
        } catch {
            let failure = ErrorReport(error)
            context.printError("ocibatch \(name): error: \(failure.message)")
            return failure.exitStatus
        }
    }

    static func overview() -> String {
        let width = (subcommands.map(\.name.count).max() ?? 0) + 2
        let lines = subcommands.map { command in
            "  " + command.name + String(repeating: " ", count: width - command.name.count) + command.summary
        }
        return """
            Usage: ocibatch COMMAND [OPTIONS]

            Runs batches of container image operations (copy, relabel, delete, cleanup) as a durable,
            resumable queue of steps, and keeps an audit trail of everything it did.

            Commands:
            \(lines.joined(separator: "\n"))

            Run 'ocibatch COMMAND --help' for a command's options.
            Exit codes: 0 success, 1 an operation failed, 2 invalid arguments or input, 130 interrupted.
            """
    }
}

/// `ocibatch version`
enum VersionCommand {
    static let subcommand = Subcommand(
        name: "version",
        summary: "Print the version.",
        usage: "version",
        details: "",
        arguments: ArgumentSpec(),
        run: { _, context in
            context.print("ocibatch \(OCIBatchCommand.version)")
            return ExitStatus.success
        }
    )
}
