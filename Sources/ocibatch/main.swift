import Foundation
import OCIBatchCLI

// A closed pipe (a credential helper that exits early, `ocibatch audit | head`) must give an
// error on write, not kill the process.
signal(SIGPIPE, SIG_IGN)

// The executable only dispatches: all behaviour lives in OCIBatchCLI so tests can drive it.
let status = await OCIBatchCommand.main(arguments: Array(CommandLine.arguments.dropFirst()))
exit(status)
