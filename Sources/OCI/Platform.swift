import Foundation

/// The platform an image runs on, as found in index descriptors and configs.
///
/// Fields ocibatch does not model are kept in `json` and written back unchanged.
public struct Platform: Hashable, Sendable, CustomStringConvertible {
    public let architecture: String
    public let os: String
    public let variant: String?
    public let osVersion: String?
    public let osFeatures: [String]?
    /// The object this platform was read from (or built as), unknown fields included.
    public let json: JSONObject

    public init(
        architecture: String,
        os: String,
        variant: String? = nil,
        osVersion: String? = nil,
        osFeatures: [String]? = nil
    ) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
        self.osVersion = osVersion
        self.osFeatures = osFeatures
        var json: JSONObject = ["architecture": .string(architecture), "os": .string(os)]
        if let osVersion { json["os.version"] = .string(osVersion) }
        if let osFeatures { json["os.features"] = .array(osFeatures.map(JSONValue.string)) }
        if let variant { json["variant"] = .string(variant) }
        self.json = json
    }

    /// Reads a platform object; `subject` names where it came from in errors.
    public init(json value: JSONValue, subject: String = "platform") throws {
        guard let json = value.objectValue else { throw OCIError(.invalidManifest, "\(subject) is not an object") }
        let reader = FieldReader(json, subject: subject, kind: .invalidManifest)
        architecture = try reader.requiredString("architecture")
        os = try reader.requiredString("os")
        variant = try reader.optionalString("variant")
        osVersion = try reader.optionalString("os.version")
        osFeatures = try reader.optionalStrings("os.features")
        self.json = json
    }

    /// Parses `os/architecture[/variant]`, as in `linux/arm64/v8`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw OCIError(.invalidManifest, "invalid platform \"\(text)\": expected os/architecture[/variant]")
        }
        self.init(architecture: parts[1], os: parts[0], variant: parts.count == 3 ? parts[2] : nil)
    }

    /// `os/architecture[/variant]`.
    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }
}
