import Foundation
import OCI

/// `--format`: a table for people, or JSON for programs.
enum OutputFormat: String, CaseIterable {
    case table
    case json

    static let option = ArgumentSpec.Option(
        name: "format", kind: .value, valueName: "FORMAT", help: "table (default) or json")

    init(_ arguments: ParsedArguments) throws {
        guard let text = arguments.value("format") else {
            self = .table
            return
        }
        guard let format = OutputFormat(rawValue: text) else {
            let choices = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw UsageError("unknown format '\(text)'; choose one of: \(choices)")
        }
        self = format
    }
}

extension JSONObject {
    /// The object as one line of compact JSON.
    var line: String { String(decoding: encoded(), as: UTF8.self) }
}

extension JSONValue {
    /// A JSON object of string values with keys sorted, so output is stable.
    static func sortedStrings(_ dictionary: [String: String]) -> JSONValue {
        .object(JSONObject(dictionary.keys.sorted().map { ($0, JSONValue.string(dictionary[$0] ?? "")) }))
    }
}
