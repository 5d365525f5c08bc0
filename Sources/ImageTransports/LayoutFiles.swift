import ByteStreams
import Foundation

/// Read access to the files of an OCI layout, wherever the layout is: a directory, or a tarball that
/// carries one (docker save since Docker 25).
protocol LayoutFiles: Sendable {
    /// Names the container in messages: the directory or the tarball path.
    var location: String { get }
    func exists(_ relativePath: String) -> Bool
    /// The size of a file, or nil when it is missing.
    func size(_ relativePath: String) -> Int64?
    /// A whole file, refusing files larger than `limit`.
    func read(_ relativePath: String, limit: Int) throws -> Data
    /// A file as a stream, opened lazily.
    func open(_ relativePath: String) throws -> any ByteSource
}

/// The files of a layout directory.
struct DirectoryFiles: LayoutFiles {
    let location: String

    func exists(_ relativePath: String) -> Bool {
        FileManager.default.fileExists(atPath: location + "/" + relativePath)
    }

    func size(_ relativePath: String) -> Int64? {
        let attributes = try? FileManager.default.attributesOfItem(atPath: location + "/" + relativePath)
        return (attributes?[.size] as? NSNumber)?.int64Value
    }

    func read(_ relativePath: String, limit: Int) throws -> Data {
        let path = location + "/" + relativePath
        guard let size = size(relativePath) else { throw TransportError.invalid("\(path) is missing") }
        guard size <= Int64(limit) else {
            throw TransportError.invalid("\(path) is \(size) bytes, more than the limit of \(limit)")
        }
        try FileSystemProblem.checkReadable(path, subject: path)
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TransportError.failed("\(path) cannot be read: \(FileSystemProblem.reason(of: error))")
        }
    }

    func open(_ relativePath: String) throws -> any ByteSource {
        let path = location + "/" + relativePath
        guard exists(relativePath) else { throw TransportError.invalid("\(path) is missing") }
        try FileSystemProblem.checkReadable(path, subject: path)
        do {
            return try FileByteSource(path: path)
        } catch {
            throw TransportError.failed("\(path) cannot be opened: \(FileSystemProblem.reason(of: error))")
        }
    }
}

extension TarArchive: LayoutFiles {
    var location: String { path }

    func exists(_ relativePath: String) -> Bool { (try? resolve(relativePath)) != nil }

    func size(_ relativePath: String) -> Int64? { (try? resolve(relativePath))?.size }
}
