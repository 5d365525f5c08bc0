import Foundation

/// `KEY=VALUE` command-line and plan entries (labels, annotations).
public enum KeyValueList {
    /// Splits each entry at its first `=`: the value may contain `=`, an empty key or value is
    /// allowed, nothing is trimmed, and a later entry for the same key wins. An entry without `=`
    /// is an error naming the entry and `kind` ("label", "annotation").
    public static func parse(_ entries: [String], kind: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for entry in entries {
            guard let equals = entry.firstIndex(of: "=") else {
                throw OCIError(
                    .invalidKeyValue, "invalid \(kind) \"\(entry)\": expected KEY=VALUE, but there is no '='")
            }
            result[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        return result
    }
}
