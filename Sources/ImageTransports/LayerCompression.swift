import Foundation

/// How a layer's bytes are compressed, told from their first bytes rather than trusted from a name.
public enum LayerCompression: Sendable, Equatable {
    case gzip
    case zstd
    case none

    /// Detects the compression from the leading bytes of a layer (16 bytes, or all of a shorter layer).
    ///
    /// Only gzip (`1f 8b`) and zstd (`28 b5 2f fd`) are layer compressions; xz and bzip2 are refused
    /// because no OCI or Docker layer media type describes them. Anything else is taken as a plain tar.
    static func detect(_ prefix: Data, layer: String) throws -> LayerCompression {
        let bytes = [UInt8](prefix.prefix(16))
        if bytes.starts(with: [0x1f, 0x8b]) { return .gzip }
        if bytes.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        if bytes.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) {
            throw TransportError.invalid("\(layer) is compressed with xz, which no layer media type allows")
        }
        // "BZh", a block size digit, then the block magic: a tar whose first file is named "BZh…" passes.
        if bytes.count >= 10, bytes.starts(with: [0x42, 0x5a, 0x68]), (0x31...0x39).contains(bytes[3]),
            Array(bytes[4..<10]) == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
        {
            throw TransportError.invalid("\(layer) is compressed with bzip2, which no layer media type allows")
        }
        return .none
    }
}
