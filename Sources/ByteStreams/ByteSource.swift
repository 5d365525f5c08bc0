import Foundation

/// A sequence of byte chunks read one at a time; `nil` marks the end.
///
/// Layers flow through ocibatch as `ByteSource`s so that a 2 GiB blob never sits in memory:
/// a registry download, a file in a layout or an entry of a tarball all look the same to
/// whoever uploads or writes them. A source is read by one consumer, in order.
public protocol ByteSource: AnyObject, Sendable {
    /// The next chunk, or `nil` once the source is exhausted. Chunks are never empty.
    func read() async throws -> Data?
    /// Releases whatever the source holds (a connection, a file handle) before it is exhausted.
    func close()
}

extension ByteSource {
    /// Reads everything that is left, refusing to hold more than `limit` bytes.
    public func readAll(limit: Int) async throws -> Data {
        var result = Data()
        while let chunk = try await read() {
            guard result.count + chunk.count <= limit else {
                close()
                throw ByteSourceError.tooLarge(limit: limit)
            }
            result.append(chunk)
        }
        return result
    }
}

public enum ByteSourceError: Error, Equatable, CustomStringConvertible {
    case tooLarge(limit: Int)
    case closed

    public var description: String {
        switch self {
        case .tooLarge(let limit): "content is larger than the limit of \(limit) bytes"
        case .closed: "the byte stream was closed before it ended"
        }
    }
}

/// Bytes already in memory, handed out in chunks.
public final class DataByteSource: ByteSource, @unchecked Sendable {
    private let lock = NSLock()
    private let data: Data
    private var offset: Int
    private let chunkSize: Int

    public init(_ data: Data, chunkSize: Int = 1 << 20) {
        self.data = data
        self.offset = data.startIndex
        self.chunkSize = max(1, chunkSize)
    }

    public func read() async throws -> Data? {
        lock.withLock {
            guard offset < data.endIndex else { return nil }
            let end = min(offset + chunkSize, data.endIndex)
            defer { offset = end }
            return data.subdata(in: offset..<end)
        }
    }

    public func close() {
        lock.withLock { offset = data.endIndex }
    }
}

/// A byte range of a file, read in chunks on demand.
public final class FileByteSource: ByteSource, @unchecked Sendable {
    private let lock = NSLock()
    private var handle: FileHandle?
    private var remaining: Int64?
    private let chunkSize: Int

    /// Opens `path` at `offset`; reads `length` bytes, or to the end when `length` is nil.
    public init(path: String, offset: Int64 = 0, length: Int64? = nil, chunkSize: Int = 1 << 20) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        try handle.seek(toOffset: UInt64(offset))
        self.handle = handle
        self.remaining = length
        self.chunkSize = max(1, chunkSize)
    }

    public func read() async throws -> Data? {
        try lock.withLock {
            guard let handle else { return nil }
            var want = chunkSize
            if let remaining { want = Int(min(Int64(chunkSize), remaining)) }
            guard want > 0, let chunk = try handle.read(upToCount: want), !chunk.isEmpty else {
                try? handle.close()
                self.handle = nil
                return nil
            }
            if let remaining { self.remaining = remaining - Int64(chunk.count) }
            return chunk
        }
    }

    public func close() {
        lock.withLock {
            try? handle?.close()
            handle = nil
        }
    }

    deinit { try? handle?.close() }
}
