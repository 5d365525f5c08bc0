import Foundation

@testable import OCIBatchCLI

/// Runs the command line in-process with captured output.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
    let stdoutBytes: Data
}

final class OutputBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()
    func append(_ more: Data) { lock.withLock { bytes.append(more) } }
    var data: Data { lock.withLock { bytes } }
    var value: String { String(decoding: data, as: UTF8.self) }
}

func runCommand(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) async
    -> CommandResult
{
    let out = OutputBuffer()
    let err = OutputBuffer()
    // Commands that run plans (copy, delete) record them; keep that out of the user's own database.
    var environment = environment
    if environment["OCIBATCH_DB"] == nil, ["copy", "delete"].contains(arguments.first) {
        environment["OCIBATCH_DB"] =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("ocibatch-cli-tests-\(getpid()).db").path
    }
    let context = CommandContext(
        environment: environment,
        workingDirectory: directory ?? FileManager.default.currentDirectoryPath,
        stdout: { out.append($0) },
        stderr: { err.append($0) }
    )
    let status = await OCIBatchCommand.run(arguments: arguments, context: context)
    return CommandResult(status: status, stdout: out.value, stderr: err.value, stdoutBytes: out.data)
}
