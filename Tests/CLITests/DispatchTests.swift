import Testing

@testable import OCIBatchCLI

@Suite struct DispatchTests {
    @Test func noArgumentsPrintsUsageAndFails() async {
        let result = await runCommand([])
        #expect(result.status == 2)
        #expect(result.stderr.contains("Usage: ocibatch COMMAND"))
    }

    @Test func unknownCommandNamesIt() async {
        let result = await runCommand(["frobnicate"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown command 'frobnicate'"))
    }

    @Test func everyCommandHasHelp() async {
        for command in OCIBatchCommand.subcommands {
            let result = await runCommand([command.name, "--help"])
            #expect(result.status == 0, "\(command.name) --help")
            #expect(result.stdout.contains("Usage: ocibatch \(command.name)"))
        }
    }

    @Test func versionPrints() async {
        let result = await runCommand(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == "ocibatch \(OCIBatchCommand.version)\n")
    }
}
