import Foundation
import OCIBatchCLI

// The executable only dispatches: all behaviour lives in OCIBatchCLI so tests can drive it.
let status = await OCIBatchCommand.main(arguments: Array(CommandLine.arguments.dropFirst()))
exit(status)
