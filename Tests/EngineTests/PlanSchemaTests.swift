import Foundation
import OCI
import Testing

@testable import Engine

/// `schema/plan.schema.json` documents every field and agrees with what the validator accepts.
@Suite struct PlanSchemaTests {
    static func loadSchema() throws -> JSONValue {
        let url = PlanExamplesTests.repositoryRoot.appendingPathComponent("schema/plan.schema.json")
        return try JSONValue.parse(Data(contentsOf: url), subject: "plan.schema.json")
    }

    /// Every subschema found under `properties`, with its path in the schema.
    static func propertySchemas(in value: JSONValue, path: String = "#") -> [(String, JSONValue)] {
        var found: [(String, JSONValue)] = []
        switch value {
        case .object(let object):
            for member in object {
                let childPath = path + "/" + member.key
                if member.key == "properties", let properties = member.value.objectValue {
                    for property in properties {
                        found.append((childPath + "/" + property.key, property.value))
                    }
                }
                found += propertySchemas(in: member.value, path: childPath)
            }
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                found += propertySchemas(in: element, path: path + "/\(index)")
            }
        default: break
        }
        return found
    }

    /// Every object schema (one with `properties`), with its path.
    static func objectSchemas(in value: JSONValue, path: String = "#") -> [(String, JSONObject)] {
        var found: [(String, JSONObject)] = []
        if let object = value.objectValue {
            if object["properties"] != nil { found.append((path, object)) }
            for member in object { found += objectSchemas(in: member.value, path: path + "/" + member.key) }
        } else if let elements = value.arrayValue {
            for (index, element) in elements.enumerated() {
                found += objectSchemas(in: element, path: path + "/\(index)")
            }
        }
        return found
    }

    @Test func declaresDraft2020() throws {
        let schema = try Self.loadSchema()
        #expect(schema["$schema"]?.stringValue == "https://json-schema.org/draft/2020-12/schema")
    }

    @Test func everyPropertyHasADescriptionAndExamples() throws {
        let properties = Self.propertySchemas(in: try Self.loadSchema())
        #expect(properties.count > 40)
        for (path, property) in properties {
            let description = property["description"]?.stringValue ?? ""
            #expect(!description.isEmpty, "\(path) has no description")
            let examples = property["examples"]?.arrayValue ?? []
            #expect(!examples.isEmpty, "\(path) has no examples")
        }
    }

    @Test func everyObjectRefusesUnknownKeys() throws {
        for (path, object) in Self.objectSchemas(in: try Self.loadSchema()) {
            #expect(object["additionalProperties"] == .bool(false), "\(path) allows unknown keys")
        }
    }

    @Test(arguments: [
        ("#", PlanValidator.topLevelKeys),
        ("#/properties/defaults", PlanValidator.defaultsKeys),
        ("#/properties/defaults/properties/retry", PlanValidator.retryKeys),
        ("#/$defs/registrySettings", PlanValidator.registryKeys),
        ("#/$defs/job", PlanValidator.jobKeys),
        ("#/$defs/job/properties/copy", PlanValidator.copyKeys),
        ("#/$defs/job/properties/relabel", PlanValidator.relabelKeys),
        ("#/$defs/job/properties/delete", PlanValidator.deleteKeys),
        ("#/$defs/job/properties/cleanup", PlanValidator.cleanupKeys),
        ("#/$defs/job/properties/cleanup/properties/keep", PlanValidator.keepKeys),
        ("#/$defs/job/properties/cleanup/properties/delete", PlanValidator.cleanupDeleteKeys),
        ("#/$defs/tagFilter", PlanValidator.tagFilterKeys),
        ("#/$defs/mutation", PlanValidator.mutationKeys),
    ])
    func schemaAndValidatorAgreeOnKeys(pointer: String, keys: [String]) throws {
        let objects = Dictionary(Self.objectSchemas(in: try Self.loadSchema()), uniquingKeysWith: { first, _ in first })
        let object = try #require(objects[pointer], "\(pointer) is not an object schema")
        #expect(Set(object["properties"]?.objectValue?.keys ?? []) == Set(keys))
    }
}
