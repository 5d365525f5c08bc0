import Foundation

/// A JSON document as parsed, kept exact enough to write back what was read.
///
/// Objects keep their key order, numbers keep their literal text (`1.0` stays `1.0`, large integers
/// stay exact), so changing one field and encoding again touches nothing else. Equality is exact
/// too: two objects with the same members in a different order are different documents.
public indirect enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var numberValue: JSONNumber? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// The member `key` of an object; `nil` for a missing key or a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// A JSON number from an integer.
    public static func integer(_ value: some BinaryInteger) -> JSONValue {
        .number(JSONNumber(value))
    }
}

/// A JSON number stored as its literal text.
public struct JSONNumber: Hashable, Sendable, CustomStringConvertible {
    /// The number exactly as written in the document.
    public let literal: String

    public init(_ value: some BinaryInteger) {
        literal = String(value)
    }

    /// Accepts only text that follows the JSON number grammar.
    public init(literal: String) throws {
        var parser = JSONParser(bytes: Array(literal.utf8), limits: .init(), subject: "number")
        guard case .number(let number) = try parser.parseDocument() else {
            throw OCIError(.invalidJSON, "\"\(literal)\" is not a JSON number")
        }
        self = number
    }

    init(validatedLiteral: String) {
        literal = validatedLiteral
    }

    /// The value as an integer when the literal is one (no fraction or exponent) and it fits.
    public var int64Value: Int64? { Int64(literal) }

    public var doubleValue: Double? { Double(literal) }

    public var description: String { literal }
}

/// One `"key": value` pair of an object.
public struct JSONMember: Hashable, Sendable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A JSON object as an ordered list of members with unique keys.
public struct JSONObject: Hashable, Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var members: [JSONMember]

    public init() { members = [] }

    /// Builds an object from pairs; a repeated key keeps its first position and its last value.
    public init(_ pairs: [(String, JSONValue)]) {
        members = []
        for (key, value) in pairs { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    init(uniqueMembers: [JSONMember]) {
        members = uniqueMembers
    }

    public var keys: [String] { members.map(\.key) }
    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }

    public func makeIterator() -> IndexingIterator<[JSONMember]> { members.makeIterator() }

    /// Reading gives the member's value. Writing an existing key replaces the value in place,
    /// a new key is appended at the end, and `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get { members.first { $0.key == key }?.value }
        set {
            let position = members.firstIndex { $0.key == key }
            switch (position, newValue) {
            case (let position?, let value?): members[position].value = value
            case (let position?, nil): members.remove(at: position)
            case (nil, let value?): members.append(JSONMember(key, value))
            case (nil, nil): break
            }
        }
    }

    /// The members whose values are strings, as a dictionary (other members are left out).
    public var stringDictionary: [String: String] {
        var result: [String: String] = [:]
        for member in members {
            if let value = member.value.stringValue { result[member.key] = value }
        }
        return result
    }

    /// Sets each entry: existing keys keep their position, new keys are appended in key order so the
    /// result does not depend on dictionary iteration order.
    public mutating func merge(strings: [String: String]) {
        for key in strings.keys.sorted() {
            if let value = strings[key] { self[key] = .string(value) }
        }
    }
}
