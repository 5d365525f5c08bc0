import Foundation
import OCI

/// Reads typed values out of a plan document, recording a problem for each value of the wrong
/// shape and carrying on, so that one pass finds every problem.
struct PlanValueReader {
    private(set) var problems: [PlanProblem] = []

    mutating func report(_ path: JSONPath, _ message: String) {
        problems.append(PlanProblem(path: path.description, message: message))
    }

    /// The members of an object, after reporting unknown keys (with a suggestion) and missing required ones.
    mutating func object(
        _ value: JSONValue, at path: JSONPath, allowed: [String], required: [String] = []
    ) -> JSONObject? {
        guard let object = value.objectValue else {
            report(path, "expected an object, found \(Self.describe(value))")
            return nil
        }
        for key in object.keys where !allowed.contains(key) {
            report(path.member(key), Self.unknownKeyMessage(key, allowed: allowed))
        }
        for key in required where object[key] == nil {
            report(path.member(key), "is required but missing")
        }
        return object
    }

    mutating func string(_ value: JSONValue, at path: JSONPath) -> String? {
        guard let string = value.stringValue else {
            report(path, "expected a string, found \(Self.describe(value))")
            return nil
        }
        return string
    }

    /// A string that must not be empty.
    mutating func nonEmptyString(_ value: JSONValue, at path: JSONPath) -> String? {
        guard let string = string(value, at: path) else { return nil }
        guard !string.isEmpty else {
            report(path, "must not be empty")
            return nil
        }
        return string
    }

    mutating func bool(_ value: JSONValue, at path: JSONPath) -> Bool? {
        guard let bool = value.boolValue else {
            report(path, "expected true or false, found \(Self.describe(value))")
            return nil
        }
        return bool
    }

    /// A whole number within `range`.
    mutating func integer(_ value: JSONValue, at path: JSONPath, in range: ClosedRange<Int>) -> Int? {
        guard let number = value.numberValue else {
            report(path, "expected a whole number, found \(Self.describe(value))")
            return nil
        }
        guard let integer = number.int64Value else {
            let isWhole = number.doubleValue.map { $0.isFinite && $0.rounded() == $0 } ?? false
            report(path, isWhole ? "\(number) is out of range \(range)" : "expected a whole number, found \(number)")
            return nil
        }
        guard integer >= range.lowerBound, integer <= range.upperBound else {
            report(path, "\(integer) is out of range; it must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return Int(integer)
    }

    /// A number greater than `lowerExclusive` and at most `upper`.
    mutating func number(_ value: JSONValue, at path: JSONPath, above lowerExclusive: Double, upTo upper: Double)
        -> Double?
    {
        guard let number = value.numberValue, let double = number.doubleValue, double.isFinite else {
            report(path, "expected a number, found \(Self.describe(value))")
            return nil
        }
        guard double > lowerExclusive, double <= upper else {
            report(path, "\(number) is out of range; it must be above \(lowerExclusive) and at most \(upper)")
            return nil
        }
        return double
    }

    mutating func array(_ value: JSONValue, at path: JSONPath, allowEmpty: Bool = false) -> [JSONValue]? {
        guard let array = value.arrayValue else {
            report(path, "expected an array, found \(Self.describe(value))")
            return nil
        }
        if !allowEmpty, array.isEmpty {
            report(path, "must not be empty")
            return nil
        }
        return array
    }

    /// An array of strings; elements of the wrong type are reported and left out.
    mutating func stringArray(_ value: JSONValue, at path: JSONPath, allowEmpty: Bool = false) -> [String]? {
        guard let array = array(value, at: path, allowEmpty: allowEmpty) else { return nil }
        var strings: [String] = []
        var seen: [String: Int] = [:]
        for (index, element) in array.enumerated() {
            guard let string = nonEmptyString(element, at: path.element(index)) else { continue }
            if let first = seen[string] {
                report(path.element(index), "\"\(string)\" is listed twice (also at \(path.element(first)))")
                continue
            }
            seen[string] = index
            strings.append(string)
        }
        return strings
    }

    /// An object whose values are all strings, e.g. labels.
    mutating func stringMap(_ value: JSONValue, at path: JSONPath) -> [String: String]? {
        guard let object = value.objectValue else {
            report(path, "expected an object of strings, found \(Self.describe(value))")
            return nil
        }
        var map: [String: String] = [:]
        for member in object {
            if member.key.isEmpty {
                report(path.member(member.key), "keys must not be empty")
            } else if let string = string(member.value, at: path.member(member.key)) {
                map[member.key] = string
            }
        }
        return map
    }

    mutating func duration(_ value: JSONValue, at path: JSONPath) -> PlanDuration? {
        guard let text = string(value, at: path) else { return nil }
        do {
            return try PlanDuration(parsing: text)
        } catch {
            report(path, error.description)
            return nil
        }
    }

    mutating func pattern(_ value: JSONValue, at path: JSONPath) -> TagPattern? {
        guard let text = string(value, at: path) else { return nil }
        do {
            return try TagPattern(text)
        } catch {
            report(path, error.description)
            return nil
        }
    }

    /// A file that must exist and not be a directory; returns the absolute path.
    mutating func existingFile(
        _ value: JSONValue, at path: JSONPath, files: PlanFileChecker, what: String
    ) -> String? {
        guard let text = nonEmptyString(value, at: path) else { return nil }
        let resolved = files.resolve(text)
        if let message = files.problemWithFile(resolved, what: what) { report(path, message) }
        return resolved
    }

    /// A short description of a value for "expected X, found Y" messages.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let bool): "\(bool)"
        case .number(let number): "the number \(number)"
        case .string(let string): "the string \"\(string.count > 40 ? String(string.prefix(40)) + "…" : string)\""
        case .array: "an array"
        case .object: "an object"
        }
    }

    static func unknownKeyMessage(_ key: String, allowed: [String]) -> String {
        if let suggestion = closestKey(to: key, among: allowed) {
            return "unknown key \"\(key)\"; did you mean \"\(suggestion)\"?"
        }
        return "unknown key \"\(key)\"; expected one of: \(allowed.joined(separator: ", "))"
    }

    /// The allowed key that differs from `key` only in case or by a couple of edits.
    static func closestKey(to key: String, among allowed: [String]) -> String? {
        if let sameIgnoringCase = allowed.first(where: { $0.lowercased() == key.lowercased() }) {
            return sameIgnoringCase
        }
        let scored = allowed.map { ($0, editDistance(key.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let tolerance = max(1, min(3, best.0.count / 3))
        return best.1 <= tolerance ? best.0 : nil
    }

    /// Edit distance counting an insertion, deletion, substitution or swap of neighbours as one edit.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let left = Array(lhs)
        let right = Array(rhs)
        guard !left.isEmpty else { return right.count }
        guard !right.isEmpty else { return left.count }
        var distances = Array(repeating: Array(repeating: 0, count: right.count + 1), count: left.count + 1)
        for i in 0...left.count { distances[i][0] = i }
        for j in 0...right.count { distances[0][j] = j }
        for i in 1...left.count {
            for j in 1...right.count {
                let cost = left[i - 1] == right[j - 1] ? 0 : 1
                var best = min(distances[i - 1][j] + 1, distances[i][j - 1] + 1, distances[i - 1][j - 1] + cost)
                if i > 1, j > 1, left[i - 1] == right[j - 2], left[i - 2] == right[j - 1] {
                    best = min(best, distances[i - 2][j - 2] + 1)
                }
                distances[i][j] = best
            }
        }
        return distances[left.count][right.count]
    }
}

/// Resolves plan paths and checks that the files a plan names exist.
struct PlanFileChecker {
    let baseDirectory: String
    let homeDirectory: String
    /// Off when a plan is checked away from where it runs (tests of pure syntax).
    let checksFiles: Bool

    func resolve(_ path: String) -> String {
        ImageLocation.resolve(path, against: baseDirectory, home: homeDirectory)
    }

    func problemWithFile(_ path: String, what: String) -> String? {
        guard checksFiles else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return "\(what) \(path) does not exist"
        }
        return isDirectory.boolValue ? "\(what) \(path) is a directory, not a file" : nil
    }

    func problemWithLayout(_ directory: String) -> String? {
        guard checksFiles else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            return "the OCI layout directory \(directory) does not exist"
        }
        guard isDirectory.boolValue else { return "\(directory) is a file, not an OCI layout directory" }
        let index = (directory as NSString).appendingPathComponent("index.json")
        guard FileManager.default.fileExists(atPath: index) else {
            return "\(directory) is not an OCI layout: it has no index.json"
        }
        return nil
    }
}
