import Foundation
import Testing

/// `ocibatch … | head` closes the pipe early: the command must carry on and exit normally, not
/// die on the write (SIGPIPE, or a failed write turned into a crash).
@Suite struct ClosedPipeTests {
    @Test(arguments: [
        ["--help"], ["validate", "plans/import-layout.json"], ["inspect", "oci:plans/example-layout:1.0"],
    ])
    func writingToAClosedPipeIsNotACrash(arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RunWorkspace.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: RunWorkspace.repositoryRoot)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try output.fileHandleForReading.close()  // the reader is gone before the first write
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "\(arguments) died on a signal")
        #expect(process.terminationStatus == 0, "\(arguments)")
    }
}
