import ByteStreams
import Foundation

/// Deterministic, non-repeating test bytes that are cheap to make even in debug builds: one
/// pseudo-random block, stamped with the chunk's index.
public enum HTTPTestPattern {
    public static let chunkSize = 64 << 10

    private static let block: Data = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: chunkSize)
        for index in bytes.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
        }
        return Data(bytes)
    }()

    /// Chunk `index` of a stream of `length` bytes (the last one may be short).
    public static func chunk(_ index: Int, length: Int64) -> Data {
        let start = Int64(index) * Int64(chunkSize)
        let count = Int(max(0, min(Int64(chunkSize), length - start)))
        var chunk = block.prefix(count)
        withUnsafeBytes(of: UInt64(index).littleEndian) { stamp in
            chunk.replaceSubrange(0..<min(8, count), with: stamp.prefix(min(8, count)))
        }
        return Data(chunk)
    }

    public static func chunkCount(length: Int64) -> Int {
        Int((length + Int64(chunkSize) - 1) / Int64(chunkSize))
    }

    /// SHA-256 of the first `length` bytes of the pattern.
    public static func sha256(length: Int64) -> String {
        let hasher = HTTPTestSHA256()
        for index in 0..<chunkCount(length: length) { hasher.update(chunk(index, length: length)) }
        return hasher.hexDigest()
    }
}

/// The pattern as a `ByteSource`, optionally holding back its first chunk until `gate` returns true.
public final class HTTPPatternSource: ByteSource, @unchecked Sendable {
    private let lock = NSLock()
    private let length: Int64
    private var next = 0
    private let gate: (@Sendable () async -> Void)?

    public init(length: Int64, beforeFirstChunk gate: (@Sendable () async -> Void)? = nil) {
        self.length = length
        self.gate = gate
    }

    public func read() async throws -> Data? {
        let index = lock.withLock { () -> Int in
            defer { next += 1 }
            return next
        }
        if index == 0, let gate { await gate() }
        guard index < HTTPTestPattern.chunkCount(length: length) else { return nil }
        return HTTPTestPattern.chunk(index, length: length)
    }

    public func close() {
        lock.withLock { next = Int.max / 2 }
    }
}
