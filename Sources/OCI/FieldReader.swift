import Foundation

/// Typed reads of an object's members, with errors that say which field of what is wrong.
struct FieldReader {
    let object: JSONObject
    let subject: String
    let kind: OCIError.Kind

    init(_ object: JSONObject, subject: String, kind: OCIError.Kind) {
        self.object = object
        self.subject = subject
        self.kind = kind
    }

    func problem(_ field: String, _ text: String) -> OCIError {
        OCIError(kind, "\(subject): field \"\(field)\" \(text)")
    }

    func requiredString(_ field: String) throws -> String {
        guard let value = try optionalString(field) else { throw problem(field, "is missing") }
        return value
    }

    /// A string, or nil when absent or `null`.
    func optionalString(_ field: String) throws -> String? {
        guard let value = object[field], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw problem(field, "must be a string") }
        return string
    }

    func optionalStrings(_ field: String) throws -> [String]? {
        guard let value = object[field], !value.isNull else { return nil }
        guard let array = value.arrayValue else { throw problem(field, "must be an array of strings") }
        return try array.map { element in
            guard let string = element.stringValue else { throw problem(field, "must be an array of strings") }
            return string
        }
    }

    func optionalStringMap(_ field: String) throws -> [String: String]? {
        guard let value = object[field], !value.isNull else { return nil }
        guard let map = value.objectValue else { throw problem(field, "must be an object of strings") }
        var result: [String: String] = [:]
        for member in map {
            guard let string = member.value.stringValue else {
                throw problem(field, "must map to strings, but \"\(member.key)\" does not")
            }
            result[member.key] = string
        }
        return result
    }

    func optionalObject(_ field: String) throws -> JSONObject? {
        guard let value = object[field], !value.isNull else { return nil }
        guard let map = value.objectValue else { throw problem(field, "must be an object") }
        return map
    }

    func optionalArray(_ field: String) throws -> [JSONValue]? {
        guard let value = object[field], !value.isNull else { return nil }
        guard let array = value.arrayValue else { throw problem(field, "must be an array") }
        return array
    }

    func optionalInteger(_ field: String) throws -> Int64? {
        guard let value = object[field], !value.isNull else { return nil }
        guard let number = value.numberValue?.int64Value else { throw problem(field, "must be an integer") }
        return number
    }

    func optionalDigest(_ field: String) throws -> Digest? {
        guard let text = try optionalString(field) else { return nil }
        do {
            return try Digest(parsing: text)
        } catch let error as OCIError {
            throw problem(field, "is not a valid digest: \(error.message)")
        }
    }

    func optionalDescriptor(_ field: String) throws -> Descriptor? {
        guard let value = object[field], !value.isNull else { return nil }
        return try Descriptor(json: value, subject: "\(subject): \(field)")
    }
}
