import ByteStreams
import CArchive
import Foundation

/// One entry of a tarball as listed by its header.
struct TarEntry: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case file
        case directory
        /// A symbolic link, with its target already resolved to a path inside the archive.
        case symlink(target: String)
        /// A hard link to an earlier entry, named by its path inside the archive.
        case hardlink(target: String)
        case other
    }

    /// The normalised name (see `TarPath.normalize`).
    let name: String
    let kind: Kind
    let size: Int64
}

/// A tarball (plain or compressed) read with libarchive. Every read opens the file afresh and scans to
/// the wanted entry: a tar has no index, and docker-save tarballs are small in entry count.
struct TarArchive: Sendable {
    let path: String
    let entries: [String: TarEntry]
    /// Entry names in archive order.
    let names: [String]

    /// Lists the archive, rejecting absolute names, `..` components and links that leave the archive.
    init(path: String) throws {
        self.path = path
        let reader = try ArchiveReader(path: path)
        var entries: [String: TarEntry] = [:]
        var names: [String] = []
        while let entry = try reader.nextEntry() {
            if let earlier = entries[entry.name] {
                // Two files under one name: which one counts would depend on the reader. Refuse.
                guard earlier.kind == .directory && entry.kind == .directory else {
                    throw TransportError.invalid("\(path): entry \"\(entry.name)\" appears more than once")
                }
                continue
            }
            names.append(entry.name)
            entries[entry.name] = entry
        }
        self.entries = entries
        self.names = names
    }

    /// The regular-file entry that `name` leads to, following at most a few links.
    func resolve(_ name: String) throws -> TarEntry {
        var current = name
        for _ in 0..<8 {
            guard let entry = entries[current] else {
                throw TransportError.invalid("\(path): the archive has no entry \"\(current)\"")
            }
            switch entry.kind {
            case .file: return entry
            case .symlink(let target), .hardlink(let target): current = target
            case .directory, .other:
                throw TransportError.invalid("\(path): entry \"\(current)\" is not a regular file")
            }
        }
        throw TransportError.invalid("\(path): entry \"\(name)\" is a chain of too many links")
    }

    /// Reads a whole entry into memory, refusing entries larger than `limit` bytes.
    func read(_ name: String, limit: Int) throws -> Data {
        let entry = try resolve(name)
        guard entry.size <= Int64(limit) else {
            throw TransportError.invalid(
                "\(path): entry \"\(entry.name)\" is \(entry.size) bytes, more than the limit of \(limit)"
            )
        }
        let reader = try ArchiveReader(path: path)
        try reader.seek(to: entry.name)
        var data = Data()
        while let chunk = try reader.readChunk(maximum: 1 << 20) {
            data.append(chunk)
            guard data.count <= limit else {
                throw TransportError.invalid("\(path): entry \"\(entry.name)\" is larger than the limit of \(limit)")
            }
        }
        return data
    }

    /// Streams one entry's bytes; the archive is opened and scanned when the stream is first read.
    func open(_ name: String) throws -> any ByteSource {
        let entry = try resolve(name)
        return TarEntryByteSource(archive: path, entry: entry.name)
    }
}

/// The bytes of one tar entry, read on demand off the cooperative pool.
final class TarEntryByteSource: ByteSource, @unchecked Sendable {
    private let lock = NSLock()
    private let archive: String
    private let entry: String
    private var reader: ArchiveReader?
    private var done = false

    init(archive: String, entry: String) {
        self.archive = archive
        self.entry = entry
    }

    func read() async throws -> Data? {
        try await BlockingIO.run { [self] in
            try lock.withLock {
                if done { return nil }
                let reader: ArchiveReader
                if let open = self.reader {
                    reader = open
                } else {
                    reader = try ArchiveReader(path: archive)
                    try reader.seek(to: entry)
                    self.reader = reader
                }
                guard let chunk = try reader.readChunk(maximum: 1 << 20) else {
                    done = true
                    self.reader = nil
                    return nil
                }
                return chunk
            }
        }
    }

    func close() {
        lock.withLock {
            done = true
            reader = nil
        }
    }
}

/// An owned libarchive read handle. Not thread-safe: one owner at a time.
final class ArchiveReader {
    private let handle: OpaquePointer
    private let path: String

    init(path: String) throws {
        guard let handle = archive_read_new() else {
            throw TransportError.failed("\(path): libarchive could not allocate a reader")
        }
        archive_read_support_filter_all(handle)
        archive_read_support_format_tar(handle)
        // Free by hand on failure: `self` is not initialised yet, so `deinit` will not run.
        guard archive_read_open_filename(handle, path, 1 << 16) == ARCHIVE_OK else {
            let reason = Self.message(handle)
            archive_read_free(handle)
            var status = stat()
            guard stat(path, &status) == 0 else {
                let code = errno
                if code == ENOENT { throw TransportError.invalid("\(path): no such file") }
                throw FileSystemProblem.error("\(path) cannot be read", code: code)
            }
            if status.st_size == 0 { throw TransportError.invalid("\(path) is empty, not a docker-save tarball") }
            try FileSystemProblem.checkReadable(path, subject: path)
            throw TransportError.invalid("\(path): not a readable tar archive (\(reason))")
        }
        self.handle = handle
        self.path = path
    }

    deinit { archive_read_free(handle) }

    private static func message(_ handle: OpaquePointer) -> String {
        guard let text = archive_error_string(handle) else { return "unknown libarchive error" }
        return String(cString: text)
    }

    /// The next header, or nil at the end of the archive.
    func nextEntry() throws -> TarEntry? {
        var raw: OpaquePointer?
        let status = archive_read_next_header(handle, &raw)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let raw else {
            throw TransportError.invalid("\(path): cannot read the tar archive (\(Self.message(handle)))")
        }
        guard let cName = archive_entry_pathname(raw) else {
            throw TransportError.invalid("\(path): an entry has no readable name")
        }
        let name = try TarPath.normalize(String(cString: cName), archive: path)
        let kind: TarEntry.Kind
        switch ocibatch_archive_entry_kind(raw) {
        case 1: kind = .file
        case 2: kind = .directory
        case 3:
            let target = archive_entry_symlink(raw).map { String(cString: $0) } ?? ""
            kind = .symlink(target: try TarPath.resolveSymlink(entry: name, target: target, archive: path))
        case 4:
            let target = archive_entry_hardlink(raw).map { String(cString: $0) } ?? ""
            kind = .hardlink(target: try TarPath.normalize(target, archive: path))
        default: kind = .other
        }
        return TarEntry(name: name, kind: kind, size: archive_entry_size(raw))
    }

    /// Moves to the entry called `name` (normalised), so that `readChunk` returns its bytes.
    func seek(to name: String) throws {
        while let entry = try nextEntry() {
            if entry.name == name { return }
        }
        throw TransportError.invalid("\(path): the archive has no entry \"\(name)\"")
    }

    /// Up to `maximum` bytes of the current entry, or nil at its end.
    func readChunk(maximum: Int) throws -> Data? {
        var buffer = Data(count: maximum)
        let count = buffer.withUnsafeMutableBytes { raw in
            archive_read_data(handle, raw.baseAddress, maximum)
        }
        guard count >= 0 else {
            throw TransportError.invalid("\(path): cannot read the tar archive (\(Self.message(handle)))")
        }
        guard count > 0 else { return nil }
        buffer.count = count
        return buffer
    }
}
