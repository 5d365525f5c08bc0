import Testing

@testable import OCIBatchCLI

@Suite struct ArgumentParserTests {
    let spec = ArgumentSpec(
        options: [
            .init(name: "format", kind: .value, valueName: "FORMAT", help: "output format"),
            .init(name: "label", kind: .repeated, valueName: "K=V", help: "add a label"),
            .init(name: "raw", kind: .flag, valueName: "", help: "raw bytes"),
        ],
        positionals: ["SRC", "DST"]
    )

    @Test func parsesValuesRepeatsFlagsAndPositionals() throws {
        let parsed = try spec.parse(["a", "--label", "x=1", "--format=json", "--label=y=2", "--raw", "b"])
        #expect(parsed.positionals == ["a", "b"])
        #expect(parsed.all("label") == ["x=1", "y=2"])
        #expect(parsed.value("format") == "json")
        #expect(parsed.has("raw"))
    }

    @Test(arguments: [
        (["a", "b", "--bogus"], "unknown option '--bogus'"),
        (["a", "b", "--format"], "option '--format' needs a value (FORMAT)"),
        (["a"], "missing DST"),
        (["a", "b", "c"], "unexpected argument 'c'"),
        (["a", "b", "--raw=yes"], "option '--raw' takes no value"),
        (["a", "b", "-x"], "unknown option '-x'"),
    ])
    func rejectsBadArguments(arguments: [String], message: String) {
        #expect(throws: UsageError.self) { try spec.parse(arguments) }
        do {
            _ = try spec.parse(arguments)
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func doubleDashEndsOptions() throws {
        let parsed = try spec.parse(["--", "--raw", "b"])
        #expect(parsed.positionals == ["--raw", "b"])
        #expect(!parsed.has("raw"))
    }

    @Test func tableAlignsColumns() {
        let table = TableRenderer(columns: ["digest", "size"]).render([["sha256:ab", "10"], ["x", "2000"]])
        #expect(table == "DIGEST     SIZE\nsha256:ab  10\nx          2000")
    }
}
