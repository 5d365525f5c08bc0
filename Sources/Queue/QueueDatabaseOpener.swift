import CSQLite
import Foundation

/// Opens the queue database: creates it privately if missing, refuses files that are not ours or
/// are newer than this binary, then configures the connection and applies missing migrations.
enum QueueDatabaseOpener {
    static func open(path: String, now: Date) throws -> SQLiteDatabase {
        try createIfMissing(path)
        let database: SQLiteDatabase
        do {
            database = try SQLiteDatabase(existingFile: path)
        } catch let error as SQLiteError {
            throw QueueError(.cannotOpen, "cannot open the queue database \(path): \(error.message)")
        }
        // Inspect before changing anything: even switching to WAL would rewrite a stranger's file.
        try checkIdentity(of: database)
        try configure(database)
        try migrate(database, now: now)
        return database
    }

    /// Creates the file with mode 0600, and missing parent directories with mode 0700.
    private static func createIfMissing(_ path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try createDirectories(directory)
        let descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            let code = errno
            // Another process creating the same database at the same moment is fine.
            guard code == EEXIST else {
                throw QueueError(
                    .cannotOpen, "cannot create the queue database \(path): \(String(cString: strerror(code)))")
            }
            return
        }
        fchmod(descriptor, 0o600)  // the umask may have taken bits away; never added any
        close(descriptor)
    }

    private static func createDirectories(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw QueueError(.cannotOpen, "cannot create the queue database: \(directory) is not a directory")
            }
            return
        }
        try createDirectories(URL(fileURLWithPath: directory).deletingLastPathComponent().path)
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            let reason = String(cString: strerror(errno))
            throw QueueError(.cannotOpen, "cannot create the directory \(directory) for the queue database: \(reason)")
        }
        chmod(directory, 0o700)
    }

    private static func checkIdentity(of database: SQLiteDatabase) throws {
        let path = database.path
        let applicationID: Int64
        let objectCount: Int64
        do {
            applicationID = try database.queryFirst("PRAGMA application_id") { try $0.int64(0) } ?? 0
            objectCount = try database.queryFirst("SELECT count(*) FROM sqlite_schema") { try $0.int64(0) } ?? 0
        } catch let error as SQLiteError where error.primaryCode == SQLITE_NOTADB {
            throw QueueError(
                .notAnOcibatchDatabase, "\(path) is not an ocibatch database (not SQLite at all); left it untouched")
        }
        if applicationID == 0 && objectCount == 0 { return }  // a new, empty file
        guard applicationID == Migration.applicationID else {
            throw QueueError(
                .notAnOcibatchDatabase,
                "\(path) is an SQLite database of another program (application id \(applicationID), "
                    + "\(objectCount) schema objects), not an ocibatch database; left it untouched")
        }
        try refuseUnknownMigrations(try appliedMigrations(database), path: path)
    }

    private static func configure(_ database: SQLiteDatabase) throws {
        let mode = try database.queryFirst("PRAGMA journal_mode = WAL") { try $0.string(0) }
        guard mode?.lowercased() == "wal" else {
            throw QueueError(
                .cannotOpen, "\(database.path) cannot use write-ahead logging (journal mode \(mode ?? "?"))")
        }
        try database.execute(script: "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
    }

    private static func migrate(_ database: SQLiteDatabase, now: Date) throws {
        try database.writeTransaction {
            // Read again under the write lock: another process may have migrated meanwhile.
            let applied = try appliedMigrations(database)
            try refuseUnknownMigrations(applied, path: database.path)
            for migration in Migration.all where !applied.contains(migration.name) {
                try database.execute(script: migration.sql)
                try database.run(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?1, ?2)",
                    [migration.name, Timestamp.text(now)])
            }
        }
    }

    private static func appliedMigrations(_ database: SQLiteDatabase) throws -> Set<String> {
        let hasTable = try database.queryFirst(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'"
        ) { _ in true }
        guard hasTable == true else { return [] }
        return Set(try database.query("SELECT name FROM schema_migrations") { try $0.string(0) })
    }

    private static func refuseUnknownMigrations(_ applied: Set<String>, path: String) throws {
        let unknown = applied.subtracting(Migration.all.map(\.name)).sorted()
        guard unknown.isEmpty else {
            throw QueueError(
                .newerSchema,
                "\(path) was written by a newer ocibatch (unknown migrations: \(unknown.joined(separator: ", "))); "
                    + "left it untouched — use a newer ocibatch")
        }
    }
}
