/// Entry names and link targets inside a tarball, checked so that nothing can point outside the archive.
enum TarPath {
    /// The canonical form of an entry name: no leading `./`, no empty or `.` components.
    ///
    /// Absolute names and names with a `..` component are refused: a docker-save tarball never
    /// needs them, and honouring them would let a hostile archive name files outside itself.
    static func normalize(_ name: String, archive: String) throws -> String {
        if name.hasPrefix("/") {
            throw TransportError.invalid("\(archive): entry \"\(name)\" has an absolute path, which is not allowed")
        }
        let parts = name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if parts.contains("..") {
            throw TransportError.invalid("\(archive): entry \"\(name)\" contains \"..\", which is not allowed")
        }
        return parts.joined(separator: "/")
    }

    /// Resolves a symbolic link's target relative to the link's directory, refusing targets that leave
    /// the archive. Returns the normalised path of the target inside the archive.
    static func resolveSymlink(entry: String, target: String, archive: String) throws -> String {
        if target.hasPrefix("/") {
            throw TransportError.invalid(
                "\(archive): symbolic link \"\(entry)\" points to the absolute path \"\(target)\", outside the archive"
            )
        }
        var resolved = entry.split(separator: "/").dropLast().map(String.init)
        for part in target.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == ".." {
                guard !resolved.isEmpty else {
                    throw TransportError.invalid(
                        "\(archive): symbolic link \"\(entry)\" points to \"\(target)\", outside the archive"
                    )
                }
                resolved.removeLast()
            } else {
                resolved.append(String(part))
            }
        }
        return resolved.joined(separator: "/")
    }
}
