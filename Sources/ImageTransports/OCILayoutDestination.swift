import ByteStreams
import Foundation
import OCI

/// An OCI image layout directory written as an image destination (`oci:DIR[:NAME]`).
///
/// Blobs and manifests are staged in a locked folder inside the layout (`LayoutStaging`) and only
/// moved into `blobs/` by `commit()`, which then merges `index.json`: the entry whose ref name is
/// exactly the written name is replaced (in place) or added, every other entry is kept. A failed copy
/// calls `abort()` and the layout is untouched (folders made for it are removed again). Every blob
/// is hashed while it is written and refused unless it matches its descriptor.
///
/// Nothing already in the layout is trusted without being hashed: `hasBlob` checks size and digest,
/// and `hasManifest` and `manifestDigest(tag:)` answer only for trees whose manifests and blobs are
/// all present and intact, so running a copy again repairs a damaged layout.
public actor OCILayoutDestination: ImageDestination {
    public nonisolated let directory: String
    private let files: DirectoryFiles
    private var staging: LayoutStaging?
    private var staged: [Digest: Int64] = [:]
    /// Blobs in the layout whose bytes were hashed and match their digest.
    private var verifiedBlobs: Set<Digest> = []
    /// Manifests in the layout whose whole tree is present and intact.
    private var intactManifests: Set<Digest> = []
    /// The manifest to name in `index.json`, and its name (nil: an entry without a name).
    private var root: (descriptor: Descriptor, tag: String?)?

    /// Refuses a path that exists but is neither a layout nor an empty directory, and a layout whose
    /// `oci-layout` names a version other than 1.x.
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
            let foreign = names.filter { !$0.hasPrefix(LayoutStaging.namePrefix) }
            if !foreign.isEmpty && !foreign.contains("index.json") {
                try LayoutDirectory.checkReadable(directory)
            }
            if names.contains("oci-layout") {
                try LayoutReader.checkVersion(
                    try DirectoryFiles(location: directory).read("oci-layout", limit: 4096),
                    file: "\(directory)/oci-layout")
            }
        }
        self.directory = directory
        self.files = DirectoryFiles(location: directory)
    }

    public nonisolated var displayName: String { "oci:\(directory)" }

    private nonisolated func blobPath(_ digest: Digest) -> String { "blobs/\(digest.algorithm)/\(digest.encoded)" }

    /// True when the blob is staged, or in the layout with the descriptor's size and digest.
    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        if staged[descriptor.digest] != nil || verifiedBlobs.contains(descriptor.digest) { return true }
        guard descriptor.digest.algorithm == "sha256", files.size(blobPath(descriptor.digest)) == descriptor.size
        else { return false }
        let path = directory + "/" + blobPath(descriptor.digest)
        let actual = try? await BlockingIO.run { try Self.sha256(ofFile: path) }
        guard actual == descriptor.digest else { return false }
        verifiedBlobs.insert(descriptor.digest)
        return true
    }

    private static func sha256(ofFile path: String) throws -> Digest {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TransportError.failed("\(path) cannot be read")
        }
        defer { try? handle.close() }
        let hasher = SHA256Hasher()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(chunk) }
        return hasher.finalize()
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

    /// The digest of the entry named exactly `tag`, when the tree it names is present and intact;
    /// nil otherwise, so that a damaged image is copied again rather than skipped.
    public func manifestDigest(tag: String) async throws -> Digest? {
        guard files.exists("index.json") else { return nil }
        let reader = try LayoutReader(files: files)
        guard let entry = reader.index.manifests.first(where: { LayoutReader.refName(of: $0) == tag }) else {
            return nil
        }
        return await isIntact(entry, depth: 0) ? entry.digest : nil
    }

    /// True when the manifest and everything below it is present and intact.
    public func hasManifest(_ digest: Digest) async throws -> Bool {
        guard let size = files.size(blobPath(digest)) else { return staged[digest] != nil }
        return await isIntact(Descriptor(mediaType: .ociManifest, digest: digest, size: size), depth: 0)
    }

    /// Whether the manifest `descriptor` names, its children and their blobs are all present and
    /// hash to their digests. Its media type is only a fallback; the document's own wins.
    private func isIntact(_ descriptor: Descriptor, depth: Int) async -> Bool {
        let digest = descriptor.digest
        if staged[digest] != nil || intactManifests.contains(digest) { return true }
        guard depth <= ContentLimits.maxIndexDepth, (try? await hasBlob(descriptor)) == true,
            let bytes = try? files.read(blobPath(digest), limit: ContentLimits.manifestBytes),
            let document = try? ManifestDocument.parse(bytes, declaredMediaType: nil)
        else { return false }
        switch document {
        case .image(let image):
            for blob in [image.config] + image.layers where !blob.mediaType.isNonDistributable {
                guard (try? await hasBlob(blob)) == true else { return false }
            }
        case .index(let index):
            for child in index.manifests {
                let present =
                    child.mediaType.isManifest
                    ? await isIntact(child, depth: depth + 1) : (try? await hasBlob(child)) == true
                guard present else { return false }
            }
        }
        intactManifests.insert(digest)
        return true
    }

    /// Stages the manifest as a blob. The last manifest put is the one `index.json` names: a copy
    /// writes children first and the image or index it was asked for last.
    public func putManifest(_ manifest: ManifestData, tag: String?) async throws {
        if let tag, !LayoutRefName.isValid(tag) {
            throw TransportError.invalid(
                "\(displayName): \"\(tag)\" is not a valid image name for a layout (letters and digits joined by "
                    + "one of - . _ : @ + or --, parts separated by /)")
        }
        if try await !hasBlob(manifest.descriptor) {
            _ = try await write(DataByteSource(manifest.bytes), as: manifest.digest, size: manifest.size)
        }
        root = (manifest.descriptor, tag)
    }

    public func commit() async throws {
        guard let root else {
            await abort()
            return
        }
        // Made even when nothing was staged: it creates the layout folder and holds no blobs then.
        let staging = try stagingArea()
        let digests = Array(staged.keys)
        staged = [:]
        self.root = nil
        self.staging = nil
        do {
            try await BlockingIO.run { [self] in
                try publish(digests, from: staging.path, root: root.descriptor, tag: root.tag)
            }
            staging.remove(withCreatedFolders: false)
        } catch {
            staging.remove(withCreatedFolders: true)
            if let error = error as? TransportError { throw error }
            throw TransportError.failed("\(displayName): cannot write: \(FileSystemProblem.reason(of: error))")
        }
    }

    /// Moves staged blobs into the layout, then rewrites `index.json`, holding an exclusive lock on the
    /// directory so that two copies into one layout (other names, other processes) do not lose entries.
    /// A staged blob replaces a file of the same name: it was verified, the file may be damaged.
    private nonisolated func publish(_ digests: [Digest], from stagingPath: String, root: Descriptor, tag: String?)
        throws
    {
        let lock = open(directory, O_RDONLY)
        guard lock >= 0 else { throw FileSystemProblem.error("\(displayName): cannot be opened", code: errno) }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else {
            throw FileSystemProblem.error("\(displayName): cannot be locked", code: errno)
        }
        for digest in digests {
            let folder = directory + "/blobs/" + digest.algorithm
            guard mkdir(directory + "/blobs", 0o755) == 0 || errno == EEXIST,
                mkdir(folder, 0o755) == 0 || errno == EEXIST
            else { throw FileSystemProblem.error("\(displayName): cannot write \(folder)", code: errno) }
            guard rename(stagingPath + "/" + blobPath(digest), directory + "/" + blobPath(digest)) == 0 else {
                throw FileSystemProblem.error("\(displayName): cannot write \(blobPath(digest))", code: errno)
            }
        }
        let layoutMarker = directory + "/oci-layout"
        if !FileManager.default.fileExists(atPath: layoutMarker) {
            try writeAtomically(Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: layoutMarker)
        }
        try writeAtomically(try mergedIndex(adding: root, tag: tag), to: directory + "/index.json")
    }

    public func abort() async {
        staging?.remove(withCreatedFolders: true)
        staging = nil
        staged = [:]
        root = nil
    }

    /// The existing `index.json` (unknown fields kept) with the entry named exactly `tag` replaced, or
    /// a new entry added. Entries with other names (`example.com/app:v1` is not `v1`) are kept.
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
        func isReplaced(_ value: JSONValue) -> Bool {
            guard let existing = try? Descriptor(json: value) else { return false }
            let name = LayoutReader.refName(of: existing)
            if let tag { return name == tag }
            return name == nil && existing.digest == descriptor.digest
        }
        if let replaced = manifests.firstIndex(where: isReplaced) {
            manifests[replaced] = .object(entry)
            // Only one entry may carry a name: drop stale duplicates of exactly that name.
            manifests = manifests.enumerated().filter { $0.offset == replaced || !isReplaced($0.element) }
                .map(\.element)
        } else {
            manifests.append(.object(entry))
        }
        json["manifests"] = .array(manifests)
        return json.encoded()
    }

    private nonisolated func writeAtomically(_ data: Data, to path: String) throws {
        let name = (path as NSString).lastPathComponent
        let temporary = path + ".tmp-" + UUID().uuidString.lowercased()
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw FileSystemProblem.error("\(displayName): cannot write \(name)", code: errno)
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            // rename(2) replaces the old file atomically: readers see the old or the new, never a mix.
            guard rename(temporary, path) == 0 else {
                throw FileSystemProblem.error("\(displayName): cannot replace \(name)", code: errno)
            }
        } catch {
            unlink(temporary)
            if let error = error as? TransportError { throw error }
            throw TransportError.failed("\(displayName): cannot write \(name): \(FileSystemProblem.reason(of: error))")
        }
    }

    /// The staging folder of this copy, made at the first write.
    private func stagingArea() throws -> LayoutStaging {
        if let staging { return staging }
        let made = try LayoutStaging(layout: directory, subject: displayName)
        staging = made
        return made
    }

    /// Streams `source` into the staging area, hashing as it goes; keeps it only if digest and size match.
    private func write(_ source: any ByteSource, as digest: Digest, size: Int64) async throws -> Int64 {
        defer { source.close() }
        guard digest.algorithm == "sha256" else {
            throw TransportError.invalid("\(displayName): cannot store blob \(digest): only sha256 can be verified")
        }
        let staging = try stagingArea()
        let folder = staging.path + "/blobs/" + digest.algorithm
        guard mkdir(staging.path + "/blobs", 0o755) == 0 || errno == EEXIST,
            mkdir(folder, 0o755) == 0 || errno == EEXIST
        else { throw FileSystemProblem.error("\(displayName): cannot write", code: errno) }
        let target = staging.path + "/" + blobPath(digest)
        let partial = target + ".partial-" + UUID().uuidString.lowercased()
        let descriptor = open(partial, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw FileSystemProblem.error("\(displayName): cannot write", code: errno) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
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
            guard rename(partial, target) == 0 else {
                throw FileSystemProblem.error("\(displayName): cannot write blob \(digest)", code: errno)
            }
        } catch {
            unlink(partial)
            // The source's own errors (a registry's digest mismatch, a lost connection) pass through.
            if error is TransportError || error is OCIError || !FileSystemProblem.isFoundationError(error) {
                throw error
            }
            throw TransportError.failed(
                "\(displayName): cannot write blob \(digest): \(FileSystemProblem.reason(of: error))")
        }
        staged[digest] = size
        return count
    }
}
