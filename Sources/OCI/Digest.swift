import COpenSSL
import Foundation

/// A content digest `algorithm:encoded`, validated against the OCI image spec grammar.
///
/// `sha256` and `sha512` are checked strictly (lower-case hex of the right length). Other
/// algorithms are accepted when they match the general grammar, so that a manifest that names
/// one can still be parsed; only SHA-256 can be computed here.
public struct Digest: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let algorithm: String
    public let encoded: String

    /// Parses `sha256:<64 hex>` and the other forms the OCI grammar allows.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw OCIError(
                .invalidDigest, "invalid digest \"\(text)\": expected algorithm:encoded, e.g. sha256:<64 hex>")
        }
        let algorithm = String(text[..<colon])
        let encoded = String(text[text.index(after: colon)...])
        guard Self.isValidAlgorithm(algorithm) else {
            throw OCIError(.invalidDigest, "invalid digest \"\(text)\": algorithm \"\(algorithm)\" is not valid")
        }
        if let expectedLength = Self.registeredHexLengths[algorithm] {
            guard encoded.utf8.count == expectedLength, encoded.utf8.allSatisfy(Self.isLowerHex) else {
                throw OCIError(
                    .invalidDigest,
                    "invalid digest \"\(text)\": \(algorithm) needs \(expectedLength) lower-case hex characters"
                )
            }
        } else {
            guard !encoded.isEmpty, encoded.utf8.allSatisfy(Self.isEncodedCharacter) else {
                throw OCIError(.invalidDigest, "invalid digest \"\(text)\": encoded part has invalid characters")
            }
        }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    private init(validatedAlgorithm algorithm: String, encoded: String) {
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// The SHA-256 digest of `data`, computed with OpenSSL.
    public static func sha256(_ data: Data) -> Digest {
        let hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalize()
    }

    /// Builds a SHA-256 digest from the 32 raw hash bytes.
    static func sha256(rawBytes: some Sequence<UInt8>) -> Digest {
        let hexDigits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in rawBytes {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0f)])
        }
        return Digest(validatedAlgorithm: "sha256", encoded: String(decoding: hex, as: UTF8.self))
    }

    public var description: String { "\(algorithm):\(encoded)" }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private static let registeredHexLengths: [String: Int] = ["sha256": 64, "sha512": 128]

    /// algorithm-component ([a-z0-9]+) joined by one of `+._-`.
    private static func isValidAlgorithm(_ algorithm: String) -> Bool {
        var previousWasSeparator = true
        for byte in algorithm.utf8 {
            let isComponent = (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)
            if isComponent {
                previousWasSeparator = false
            } else if byte == 0x2b || byte == 0x2e || byte == 0x5f || byte == 0x2d {
                if previousWasSeparator { return false }
                previousWasSeparator = true
            } else {
                return false
            }
        }
        return !previousWasSeparator
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66)
    }

    /// [a-zA-Z0-9=_-]
    private static func isEncodedCharacter(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a)
            || byte == 0x3d || byte == 0x5f || byte == 0x2d
    }
}
