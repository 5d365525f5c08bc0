import Foundation

/// A private folder inside a layout directory where one copy writes its blobs before they are moved
/// into `blobs/`. Living inside the layout, it needs no write access to the layout's parent, and the
/// final moves are renames within one file system.
///
/// The folder is locked (`flock`) for as long as this value lives, and a process that dies drops its
/// lock, so a later copy can tell the folder of an interrupted run from one in use and removes it.
final class LayoutStaging: Sendable {
    static let namePrefix = ".ocibatch-staging-"
    /// Unlocked staging folders younger than this are left alone: their owner may not have locked
    /// them yet.
    static let staleAfter: TimeInterval = 60

    let path: String
    /// Folders made for the layout (the layout and missing parents), outermost first.
    let createdFolders: [String]
    private let lock: Int32

    /// Makes the layout folder (and missing parents) and a locked staging folder inside it, after
    /// removing staging folders that interrupted runs left behind. `subject` names the layout in errors.
    init(layout: String, subject: String) throws {
        createdFolders = try Self.makeFolders(layout, subject: subject)
        Self.removeStale(in: layout)
        path = layout + "/" + Self.namePrefix + UUID().uuidString.lowercased()
        guard mkdir(path, 0o755) == 0 else {
            let code = errno
            Self.removeEmpty(createdFolders)
            throw FileSystemProblem.error("\(subject): cannot write", code: code)
        }
        let descriptor = open(path, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            if descriptor >= 0 { close(descriptor) }
            rmdir(path)
            Self.removeEmpty(createdFolders)
            throw FileSystemProblem.error("\(subject): cannot lock its staging folder", code: code)
        }
        lock = descriptor
    }

    deinit { close(lock) }

    /// Removes the staging folder; after a failed copy also the folders made for the layout, if empty.
    func remove(withCreatedFolders: Bool) {
        try? FileManager.default.removeItem(atPath: path)
        if withCreatedFolders { Self.removeEmpty(createdFolders) }
    }

    /// `mkdir -p` that remembers which folders it made.
    private static func makeFolders(_ layout: String, subject: String) throws -> [String] {
        var missing: [String] = []
        var current = URL(fileURLWithPath: layout).standardizedFileURL.path
        var status = stat()
        while stat(current, &status) != 0, errno == ENOENT {
            missing.append(current)
            let parent = (current as NSString).deletingLastPathComponent
            guard parent != current, !parent.isEmpty else { break }
            current = parent
        }
        var created: [String] = []
        for folder in missing.reversed() {
            guard mkdir(folder, 0o755) == 0 || errno == EEXIST else {
                let code = errno
                removeEmpty(created)
                let what = folder == missing.first ? "cannot be created" : "cannot be created (\(folder))"
                throw FileSystemProblem.error("\(subject): \(what)", code: code)
            }
            created.append(folder)
        }
        return created
    }

    /// Removes `folders` innermost first, each only if it is empty.
    private static func removeEmpty(_ folders: [String]) {
        for folder in folders.reversed() where rmdir(folder) != 0 { return }
    }

    /// Removes staging folders of runs that died: older than `staleAfter` and not locked.
    static func removeStale(in layout: String, now: Date = Date()) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: layout) else { return }
        for name in names where name.hasPrefix(namePrefix) {
            let folder = layout + "/" + name
            var status = stat()
            guard stat(folder, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { continue }
            let modified = Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec))
            guard now.timeIntervalSince(modified) > staleAfter else { continue }
            let descriptor = open(folder, O_RDONLY | O_DIRECTORY)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { continue }
            try? FileManager.default.removeItem(atPath: folder)
        }
    }
}
