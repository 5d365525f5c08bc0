import Foundation

/// Tells what is at a path that should be an OCI layout, so that the error says what was found.
enum LayoutDirectory {
    static func checkReadable(_ directory: String) throws {
        guard !directory.isEmpty else {
            throw TransportError.invalid("no layout directory was given (the path is empty)")
        }
        var status = stat()
        guard stat(directory, &status) == 0 else {
            let code = errno
            if code == ENOENT { throw TransportError.invalid("\(directory) does not exist") }
            throw FileSystemProblem.error("\(directory) cannot be read", code: code)
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw TransportError.invalid(
                "\(directory) is a file, not an OCI layout directory; a docker-save tarball is read with docker-archive:\(directory)"
            )
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw TransportError.failed("\(directory) cannot be listed: \(FileSystemProblem.reason(of: error))")
        }
        if names.contains("index.json") { return }
        if names.isEmpty {
            throw TransportError.invalid("\(directory) is empty: an OCI layout needs index.json")
        }
        if names.contains("manifest.json") {
            throw TransportError.invalid(
                "\(directory) holds manifest.json but no index.json: it looks like an unpacked docker-save tarball; pack it with tar and read it with docker-archive:FILE"
            )
        }
        let shown = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", …" : "")
        throw TransportError.invalid("\(directory) is not an OCI layout: it has no index.json (found: \(shown))")
    }
}
