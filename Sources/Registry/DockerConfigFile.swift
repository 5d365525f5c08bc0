import Foundation

/// The parts of a docker `config.json` ocibatch reads, decoded straight from the bytes.
///
/// `JSONDecoder` is used rather than `JSONSerialization`: a config with hundreds of thousands of
/// entries would otherwise become as many Foundation dictionaries (hundreds of MB for a 7 MB
/// file). Field names match case-insensitively (an exact match first), as Go's decoder does.
struct DockerConfigFile: Decodable {
    struct AuthEntry: Decodable {
        var auth: String?
        var username: String?
        var password: String?
        var identityToken: String?
        var registryToken: String?

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: FieldName.self)
            auth = try fields.decodeIfPresent(String.self, forKey: fields.key("auth"))
            username = try fields.decodeIfPresent(String.self, forKey: fields.key("username"))
            password = try fields.decodeIfPresent(String.self, forKey: fields.key("password"))
            identityToken = try fields.decodeIfPresent(String.self, forKey: fields.key("identitytoken"))
            registryToken = try fields.decodeIfPresent(String.self, forKey: fields.key("registrytoken"))
        }
    }

    var auths: [String: AuthEntry]
    var httpHeaders: [String: String]
    var credsStore: String?
    var credHelpers: [String: String]

    init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: FieldName.self)
        auths = try fields.decodeIfPresent([String: AuthEntry].self, forKey: fields.key("auths")) ?? [:]
        httpHeaders = try fields.decodeIfPresent([String: String].self, forKey: fields.key("HttpHeaders")) ?? [:]
        credsStore = try fields.decodeIfPresent(String.self, forKey: fields.key("credsStore"))
        credHelpers = try fields.decodeIfPresent([String: String].self, forKey: fields.key("credHelpers")) ?? [:]
    }

    /// Decodes `data`, turning decoding failures into errors that name the file and the field.
    static func decode(_ data: Data, source: String) throws -> DockerConfigFile {
        let byteOrderMark = Data([0xEF, 0xBB, 0xBF])
        let body = data.starts(with: byteOrderMark) ? data.dropFirst(byteOrderMark.count) : data[...]
        do {
            return try JSONDecoder().decode(DockerConfigFile.self, from: Data(body))
        } catch let error as DecodingError {
            throw problem(error, source: source)
        }
    }

    private static func problem(_ error: DecodingError, source: String) -> DockerConfigError {
        switch error {
        case .typeMismatch(_, let context) where context.codingPath.isEmpty:
            return .notAnObject(source: source)
        case .typeMismatch(_, let context)
        where context.codingPath.count == 2
            && context.codingPath[0].stringValue.lowercased() == "auths":
            return .invalidEntry(key: context.codingPath[1].stringValue)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return .invalidValue(source: source, path: path(context.codingPath))
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return .invalidValue(source: source, path: path(context.codingPath))
        default:
            return .invalidJSON(source: source)
        }
    }

    /// `auths["host"].auth` for a coding path.
    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.enumerated().map { index, key in
            index == 0 ? key.stringValue : index == 1 ? "[\"\(key.stringValue)\"]" : "." + key.stringValue
        }.joined()
    }
}

/// Any field name of a JSON object.
struct FieldName: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == FieldName {
    /// The key spelt `name`, else one that differs only in case, else `name` (absent).
    func key(_ name: String) -> FieldName {
        let exact = FieldName(stringValue: name)
        if contains(exact) { return exact }
        return allKeys.filter { $0.stringValue.caseInsensitiveCompare(name) == .orderedSame }
            .min { $0.stringValue < $1.stringValue } ?? exact
    }
}
