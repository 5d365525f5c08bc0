import Foundation

/// An image configuration blob: its exact bytes and the fields ocibatch reads or changes.
public struct ImageConfig: Hashable, Sendable {
    /// The bytes as read; `digest` is their SHA-256.
    public let bytes: Data
    public let json: JSONObject
    public let digest: Digest
    public let architecture: String?
    public let os: String?
    public let variant: String?
    public let osVersion: String?
    public let osFeatures: [String]?
    /// `config.Labels`; empty when the config has none.
    public let labels: [String: String]
    /// `created` as written (RFC 3339), and parsed when it is valid.
    public let createdText: String?
    public let created: Date?
    /// `rootfs.diff_ids`: digests of the uncompressed layers.
    public let diffIDs: [Digest]

    /// Parses config bytes; errors name the config by its digest (`config sha256:…: …`).
    public init(bytes: Data) throws {
        let subject = "config \(Digest.sha256(bytes))"
        let value = try JSONValue.parse(
            bytes, limits: JSONLimits(maxBytes: ContentLimits.configBytes, maxDepth: ContentLimits.jsonDepth),
            subject: subject)
        guard let json = value.objectValue else { throw OCIError(.invalidConfig, "\(subject) is not a JSON object") }
        try self.init(bytes: bytes, json: json)
    }

    /// Encodes `json` compactly and reads the result: how a changed config is made.
    public init(encoding json: JSONObject) throws {
        try self.init(bytes: json.encoded(), json: json)
    }

    private init(bytes: Data, json: JSONObject) throws {
        let digest = Digest.sha256(bytes)
        let reader = FieldReader(json, subject: "config \(digest)", kind: .invalidConfig)
        architecture = try reader.optionalString("architecture")
        os = try reader.optionalString("os")
        variant = try reader.optionalString("variant")
        osVersion = try reader.optionalString("os.version")
        osFeatures = try reader.optionalStrings("os.features")
        if let runConfig = try reader.optionalObject("config") {
            let runReader = FieldReader(runConfig, subject: "config \(digest): config", kind: .invalidConfig)
            labels = try runReader.optionalStringMap("Labels") ?? [:]
        } else {
            labels = [:]
        }
        createdText = try reader.optionalString("created")
        created = createdText.flatMap(RFC3339.parse)
        if let rootfs = try reader.optionalObject("rootfs") {
            let rootfsReader = FieldReader(rootfs, subject: "config \(digest): rootfs", kind: .invalidConfig)
            diffIDs = try (rootfsReader.optionalStrings("diff_ids") ?? []).map { text in
                do {
                    return try Digest(parsing: text)
                } catch let error as OCIError {
                    throw rootfsReader.problem("diff_ids", "holds an invalid digest: \(error.message)")
                }
            }
        } else {
            diffIDs = []
        }
        self.bytes = bytes
        self.json = json
        self.digest = digest
    }

    public var size: Int64 { Int64(bytes.count) }

    /// The platform the config declares, when it names both architecture and os.
    public var platform: Platform? {
        guard let architecture, let os else { return nil }
        return Platform(
            architecture: architecture, os: os, variant: variant, osVersion: osVersion, osFeatures: osFeatures)
    }
}

/// RFC 3339 timestamps as written in configs (`2024-01-02T03:04:05.123456789Z`, offsets allowed).
enum RFC3339 {
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ length: Int) -> Int? {
            guard start + length <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + length] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 20, let year = number(0, 4), bytes[4] == 0x2d, let month = number(5, 2),
            bytes[7] == 0x2d, let day = number(8, 2), bytes[10] == 0x54 || bytes[10] == 0x74,
            let hour = number(11, 2), bytes[13] == 0x3a, let minute = number(14, 2), bytes[16] == 0x3a,
            let second = number(17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count && bytes[index] == 0x2e {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, let digit = number(index, 1) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        if bytes[index] == 0x5a || bytes[index] == 0x7a {
            index += 1
        } else if bytes[index] == 0x2b || bytes[index] == 0x2d, let hours = number(index + 1, 2),
            index + 3 < bytes.count, bytes[index + 3] == 0x3a, let minutes = number(index + 4, 2)
        {
            offsetSeconds = (hours * 60 + minutes) * 60 * (bytes[index] == 0x2d ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        guard let utc = TimeZone(secondsFromGMT: 0) else { return nil }
        calendar.timeZone = utc
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61,
            let date = calendar.date(from: components)
        else { return nil }
        return date.addingTimeInterval(fraction - Double(offsetSeconds))
    }
}
