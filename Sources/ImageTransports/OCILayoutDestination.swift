import ByteStreams
import Foundation
import OCI

/// An OCI image layout directory written as an image destination (`oci:DIR[:TAG]`).
///
/// Blobs and manifests are staged in a hidden sibling directory and only moved into the layout by
/// `commit()`, which then merges `index.json`: the entry for the written tag is replaced (in place)
/// or added, every other entry is kept. A failed copy calls `abort()` and the layout is untouched.
/// Every blob is hashed while it is written and refused unless it matches its descriptor.
public actor OCILayoutDestination: ImageDestination {
    public nonisolated let directory: String
    private let files: DirectoryFiles
    private let stagingDirectory: String
    private var staged: [Digest: Int64] = [:]
    /// The manifest to name in `index.json`, and its tag (nil: an entry without a name).
    private var root: (descriptor: Descriptor, tag: String?)?

    /// Refuses a path that exists but is neither a layout nor an empty directory.
    public init(directory: String) throws {
        guard !directory.isEmpty else {
            throw TransportError.invalid("no layout directory was given (the path is empty)")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw TransportError.invalid("\(directory) is a file, not an OCI layout directory")
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            if !names.isEmpty && !names.contains("index.json") {
                try LayoutDirectory.checkReadable(directory)
            }
        }
        self.directory = directory
        self.files = DirectoryFiles(location: directory)
        let url = URL(fileURLWithPath: directory).standardizedFileURL
        self.stagingDirectory =
            url.deletingLastPathComponent().path + "/.\(url.lastPathComponent).ocibatch-staging-"
            + UUID().uuidString.lowercased()
    }

    public nonisolated var displayName: String { "oci:\(directory)" }

    private nonisolated func blobPath(_ digest: Digest) -> String { "blobs/\(digest.algorithm)/\(digest.encoded)" }

    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        if staged[descriptor.digest] != nil { return true }
        return files.size(blobPath(descriptor.digest)) == descriptor.size
    }

    public func putBlob(_ descriptor: Descriptor, from source: any ImageSource, content: (any ByteSource)?)
        async throws -> BlobTransfer
    {
        if try await hasBlob(descriptor) { return .alreadyPresent }
        let stream: any ByteSource
        if let content { stream = content } else { stream = try await source.blob(descriptor) }
        let written = try await write(stream, as: descriptor.digest, size: descriptor.size)
        return .uploaded(bytes: written)
    }

    public func manifestDigest(tag: String) async throws -> Digest? {
        guard files.exists("index.json") else { return nil }
        let reader = try LayoutReader(files: files)
        return reader.index.manifests.first { LayoutReader.tag(of: $0) == tag }?.digest
    }

    public func hasManifest(_ digest: Digest) async throws -> Bool {
        staged[digest] != nil || files.exists(blobPath(digest))
    }

    /// Stages the manifest as a blob. The last manifest put is the one `index.json` names: a copy
    /// writes children first and the image or index it was asked for last.
    public func putManifest(_ manifest: ManifestData, tag: String?) async throws {
        if staged[manifest.digest] == nil && !files.exists(blobPath(manifest.digest)) {
            _ = try await write(DataByteSource(manifest.bytes), as: manifest.digest, size: manifest.size)
        }
        root = (manifest.descriptor, tag)
    }

    public func commit() async throws {
        guard let root else {
            await abort()
            return
        }
        let digests = Array(staged.keys)
        defer { try? FileManager.default.removeItem(atPath: stagingDirectory) }
        staged = [:]
        self.root = nil
        do {
            try await BlockingIO.run { [self] in try publish(digests, root: root.descriptor, tag: root.tag) }
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError.failed("\(directory): cannot write the layout: \(error.localizedDescription)")
        }
    }

    /// Moves staged blobs into the layout, then rewrites `index.json`, holding an exclusive lock on the
    /// directory so that two copies into one layout (other tags, other processes) do not lose entries.
    private nonisolated func publish(_ digests: [Digest], root: Descriptor, tag: String?) throws {
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lock = open(directory, O_RDONLY)
        guard lock >= 0 else {
            throw TransportError.failed("\(directory) cannot be opened: \(String(cString: strerror(errno)))")
        }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else {
            throw TransportError.failed("\(directory) cannot be locked: \(String(cString: strerror(errno)))")
        }
        for digest in digests {
            let target = directory + "/" + blobPath(digest)
            try fileManager.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if fileManager.fileExists(atPath: target) { continue }
            try fileManager.moveItem(atPath: stagingDirectory + "/" + blobPath(digest), toPath: target)
        }
        let layoutMarker = directory + "/oci-layout"
        if !fileManager.fileExists(atPath: layoutMarker) {
            try writeAtomically(Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: layoutMarker)
        }
        try writeAtomically(try mergedIndex(adding: root, tag: tag), to: directory + "/index.json")
    }

    public func abort() async {
        try? FileManager.default.removeItem(atPath: stagingDirectory)
        staged = [:]
        root = nil
    }

    /// The existing `index.json` (unknown fields kept) with the entry for `tag` replaced or added.
    private nonisolated func mergedIndex(adding descriptor: Descriptor, tag: String?) throws -> Data {
        var json: JSONObject
        if files.exists("index.json") {
            json = try LayoutReader(files: files).index.json
        } else {
            json = [
                "schemaVersion": .integer(2), "mediaType": .string(MediaType.ociIndex.rawValue),
                "manifests": .array([]),
            ]
        }
        var entry = descriptor.json
        if let tag {
            var annotations = JSONObject()
            annotations[LayoutReader.refNameAnnotation] = .string(tag)
            entry["annotations"] = .object(annotations)
        }
        var manifests = json["manifests"]?.arrayValue ?? []
        let replaced = manifests.firstIndex { value in
            guard let existing = try? Descriptor(json: value) else { return false }
            if let tag { return LayoutReader.tag(of: existing) == tag }
            return LayoutReader.tag(of: existing) == nil && existing.digest == descriptor.digest
        }
        if let replaced {
            manifests[replaced] = .object(entry)
            if let tag {
                // Only one entry may carry the tag: drop stale duplicates after the replaced one.
                manifests = manifests.enumerated().filter { position, value in
                    position == replaced
                        || (try? Descriptor(json: value)).map { LayoutReader.tag(of: $0) != tag } ?? true
                }.map(\.element)
            }
        } else {
            manifests.append(.object(entry))
        }
        json["manifests"] = .array(manifests)
        return json.encoded()
    }

    private nonisolated func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-" + UUID().uuidString.lowercased()
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
            let handle = FileHandle(forWritingAtPath: temporary)
        else { throw TransportError.failed("\(temporary) cannot be created") }
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            // rename(2) replaces the old file atomically: readers see the old or the new, never a mix.
            guard rename(temporary, path) == 0 else {
                throw TransportError.failed("\(path) cannot be replaced: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Streams `source` into the staging area, hashing as it goes; keeps it only if digest and size match.
    private func write(_ source: any ByteSource, as digest: Digest, size: Int64) async throws -> Int64 {
        guard digest.algorithm == "sha256" else {
            source.close()
            throw TransportError.invalid("\(displayName): cannot store blob \(digest): only sha256 can be verified")
        }
        let target = stagingDirectory + "/" + blobPath(digest)
        let partial = target + ".partial-" + UUID().uuidString.lowercased()
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            source.close()
            throw TransportError.failed("\(stagingDirectory) cannot be created: \(error.localizedDescription)")
        }
        guard fileManager.createFile(atPath: partial, contents: nil), let handle = FileHandle(forWritingAtPath: partial)
        else {
            source.close()
            throw TransportError.failed("\(partial) cannot be created")
        }
        let hasher = SHA256Hasher()
        var count: Int64 = 0
        do {
            defer { try? handle.close() }
            while let chunk = try await source.read() {
                count += Int64(chunk.count)
                guard count <= size else {
                    throw TransportError.invalid("blob \(digest) is larger than the \(size) bytes its descriptor says")
                }
                hasher.update(chunk)
                try await BlockingIO.run { try handle.write(contentsOf: chunk) }
            }
            guard count == size else {
                throw TransportError.invalid("blob \(digest) has \(count) bytes but its descriptor says \(size)")
            }
            let actual = hasher.finalize()
            guard actual == digest else {
                throw TransportError.invalid("blob \(digest) arrived with digest \(actual)")
            }
            try handle.synchronize()
            if fileManager.fileExists(atPath: target) { try fileManager.removeItem(atPath: target) }
            try fileManager.moveItem(atPath: partial, toPath: target)
        } catch {
            source.close()
            try? fileManager.removeItem(atPath: partial)
            if error is TransportError || error is OCIError { throw error }
            throw TransportError.failed("\(partial) cannot be written: \(error.localizedDescription)")
        }
        staged[digest] = size
        return count
    }
}
