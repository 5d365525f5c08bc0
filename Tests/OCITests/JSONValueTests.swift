import Foundation
import OCI
import Testing

@Suite struct JSONValueTests {
    private func roundTrip(_ text: String) throws -> String {
        String(decoding: try JSONValue.parse(Data(text.utf8)).encoded(), as: UTF8.self)
    }

    @Test(arguments: [
        #"{"b":1,"a":2,"c":{"z":null,"y":[true,false]}}"#,
        #"[1.0,1e10,-0,0.5E-3,123456789012345678901234567890,-1.50]"#,
        #"{"s":"plain","u":"é漢字😀","e":"\"\\\n\r\t"}"#,
        #"{"html":"\u003ca\u003e \u0026 \u2028\u2029","ctl":"\u0000\u001f\u0008\u000c"}"#,
        #"{}"#, #"[]"#, #""x""#, #"null"#, #"17"#,
    ])
    func compactDocumentsRoundTripExactly(text: String) throws {
        #expect(try roundTrip(text) == text)
    }

    @Test func whitespaceIsDroppedAndNothingElseChanges() throws {
        let pretty = """
            {
              "schemaVersion": 2,
              "z": 1.0,
              "a": [ 1 , 2 ]
            }
            """
        #expect(try roundTrip(pretty) == #"{"schemaVersion":2,"z":1.0,"a":[1,2]}"#)
    }

    @Test func escapesAreDecodedAndReencodedTheGoWay() throws {
        let value = try JSONValue.parse(Data(#"{"k":"<\/a>\u00e9\ud83d\ude00&"}"#.utf8))
        #expect(value["k"]?.stringValue == "</a>é😀&")
        #expect(String(decoding: value.encoded(), as: UTF8.self) == #"{"k":"\u003c/a\u003eé😀\u0026"}"#)
    }

    @Test func numbersKeepTheirLiteral() throws {
        let value = try JSONValue.parse(Data(#"{"big":18446744073709551617,"f":1.0,"i":42}"#.utf8))
        #expect(value["big"]?.numberValue?.literal == "18446744073709551617")
        #expect(value["big"]?.numberValue?.int64Value == nil)
        #expect(value["f"]?.numberValue?.literal == "1.0")
        #expect(value["i"]?.numberValue?.int64Value == 42)
    }

    @Test func numberLiteralsAreValidated() throws {
        #expect(try JSONNumber(literal: "-1.5e3").literal == "-1.5e3")
        #expect(throws: OCIError.self) { try JSONNumber(literal: "01") }
        #expect(throws: OCIError.self) { try JSONNumber(literal: "\"1\"") }
    }

    @Test func setKeepsPositionAndAppendsNewKeys() throws {
        guard var object = try JSONValue.parse(Data(#"{"a":1,"b":2,"c":3}"#.utf8)).objectValue else {
            Issue.record("not an object")
            return
        }
        object["b"] = .string("two")
        object["d"] = .bool(true)
        object["a"] = nil
        #expect(object.keys == ["b", "c", "d"])
        #expect(String(decoding: object.encoded(), as: UTF8.self) == #"{"b":"two","c":3,"d":true}"#)
    }

    @Test func mergeAppendsNewKeysSorted() {
        var object: JSONObject = ["z": .string("old"), "m": .null]
        object.merge(strings: ["z": "new", "b": "1", "a": "2"])
        #expect(object.keys == ["z", "m", "a", "b"])
        #expect(object["z"] == .string("new"))
        #expect(object.stringDictionary == ["z": "new", "a": "2", "b": "1"])
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, "duplicate key \"a\"", "line 1, column 8"),
        ("{\n  \"a\": tru\n}", "expected true", "line 2, column 8"),
        (#"{"a":1,}"#, "expected a string key", "column 8"),
        (#"[1 2]"#, "expected ',' or ']'", "column 4"),
        (#"{"a":01}"#, "expected ',' or '}' in object, found '1'", "column 7"),
        (#"{"a":1} x"#, "unexpected content after", "byte offset 8"),
        ("\"a\tb\"", "control character", "column 3"),
        (#""\x""#, "invalid escape", "column 2"),
        (#""\ud800""#, "unpaired UTF-16 surrogate", "line 1"),
        (#""abc"#, "unterminated string", "column 1"),
        (#"-"#, "expected a digit", "column 2"),
        (#"1."#, "after '.'", "column 3"),
        (#""#, "unexpected end of input", "byte offset 0"),
    ])
    func malformedDocumentsAreRejectedWithPosition(text: String, problem: String, position: String) {
        #expect {
            try JSONValue.parse(Data(text.utf8), subject: "test.json")
        } throws: { error in
            guard let error = error as? OCIError else { return false }
            return error.kind == .invalidJSON && error.message.hasPrefix("test.json: ")
                && error.message.contains(problem) && error.message.contains(position)
        }
    }

    @Test func invalidUTF8IsRejected() {
        let bytes = Data([0x22, 0xff, 0xfe, 0x22])
        #expect {
            try JSONValue.parse(bytes)
        } throws: { error in
            (error as? OCIError)?.message.contains("not valid UTF-8") == true
        }
    }

    @Test func depthAndSizeAreBounded() {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect {
            try JSONValue.parse(Data(deep.utf8))
        } throws: { error in
            (error as? OCIError)?.message.contains("deeper than the limit of 64") == true
        }
        let fits = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONValue.parse(Data(fits.utf8)) }
        #expect {
            try JSONValue.parse(Data(count: 11), limits: JSONLimits(maxBytes: 10))
        } throws: { error in
            (error as? OCIError)?.kind == .tooLarge
        }
    }

    @Test func encodingIsDeterministic() {
        let object: JSONObject = [
            "x": .array([.integer(1), .string("a<b")]), "y": .object(["k": .null]), "n": .integer(-7),
        ]
        let first = object.encoded()
        #expect(first == object.encoded())
        #expect(String(decoding: first, as: UTF8.self) == #"{"x":[1,"a\u003cb"],"y":{"k":null},"n":-7}"#)
    }
}
