import CSQLite
import Foundation
import Testing

@testable import Queue

@Suite struct SchemaTests {
    private static let schemaDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("schema")

    @Test func schemaFilesEqualTheEmbeddedMigrations() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.schemaDirectory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == Migration.all.map { $0.name + ".sql" })
        for migration in Migration.all {
            let file = try Data(contentsOf: Self.schemaDirectory.appendingPathComponent(migration.name + ".sql"))
            #expect(file == Data(migration.sql.utf8), "schema/\(migration.name).sql differs from the embedded SQL")
        }
    }

    @Test func migrationsAreRecordedAndReopeningChangesNothing() throws {
        let directory = try QueueTemporaryDirectory()
        let clock = QueueTestClock()
        let path = directory.file("queue.db")
        _ = try SQLiteQueueStore(path: path, clock: clock.function)
        let first = try appliedMigrations(path)
        #expect(first.map(\.name) == Migration.all.map(\.name))
        #expect(first.allSatisfy { $0.appliedAt == Timestamp.text(clock.now) })

        clock.advance(by: 3_600)
        _ = try SQLiteQueueStore(path: path, clock: clock.function)
        #expect(try appliedMigrations(path) == first)
    }

    @Test func createsThePrivateFileAndDirectories() throws {
        let directory = try QueueTemporaryDirectory()
        let path = directory.file("state/ocibatch/queue.db")
        _ = try SQLiteQueueStore(path: path)
        #expect(try permissions(path) == 0o600)
        #expect(try permissions(directory.file("state/ocibatch")) == 0o700)
        #expect(try permissions(directory.file("state")) == 0o700)
    }

    @Test func usesWriteAheadLoggingAndForeignKeys() throws {
        let directory = try QueueTemporaryDirectory()
        let path = directory.file("queue.db")
        _ = try SQLiteQueueStore(path: path)
        let database = try SQLiteDatabase(existingFile: path)
        #expect(try database.queryFirst("PRAGMA journal_mode") { try $0.string(0) } == "wal")
        #expect(try database.queryFirst("PRAGMA application_id") { try $0.int64(0) } == Migration.applicationID)
    }

    @Test func refusesAnotherProgramsDatabaseAndLeavesItUntouched() throws {
        let directory = try QueueTemporaryDirectory()
        let path = directory.file("other.db")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        do {
            let other = try SQLiteDatabase(existingFile: path)
            try other.execute(script: "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');")
        }
        try expectRefused(path, in: directory, code: .notAnOcibatchDatabase)
    }

    @Test func refusesATextFileAndLeavesItUntouched() throws {
        let directory = try QueueTemporaryDirectory()
        let path = directory.file("notes.txt")
        try Data(String(repeating: "not a database, just some text\n", count: 40).utf8)
            .write(to: URL(fileURLWithPath: path))
        try expectRefused(path, in: directory, code: .notAnOcibatchDatabase)
    }

    @Test func refusesADatabaseFromANewerVersionAndLeavesItUntouched() throws {
        let directory = try QueueTemporaryDirectory()
        let path = directory.file("queue.db")
        _ = try SQLiteQueueStore(path: path)
        do {
            let database = try SQLiteDatabase(existingFile: path)
            try database.run(
                "INSERT INTO schema_migrations (name, applied_at) VALUES ('9999-from-the-future', '2030-01-01')")
        }
        try expectRefused(path, in: directory, code: .newerSchema)
    }

    @Test func errorsNameTheSQLButNeverTheBoundValues() async throws {
        let fixture = try await QueueFixture()
        let secret = "hunter2-password"
        let step = NewStep(key: "k", jobID: "j", kind: .push, input: Data("{\"password\": \"\(secret)\"".utf8))
        let error = await #expect(throws: QueueError.self) {
            try await fixture.store.insertSteps([step], into: fixture.run)
        }
        #expect(error?.code == .database)
        #expect(error?.description.contains("INSERT INTO steps") == true)
        #expect(error?.description.contains(secret) == false)
    }

    private func expectRefused(_ path: String, in directory: QueueTemporaryDirectory, code: QueueError.Code) throws {
        let before = try #require(queueFileBytes(path))
        let listing = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let error = #expect(throws: QueueError.self) { try SQLiteQueueStore(path: path) }
        #expect(error?.code == code)
        #expect(error?.description.contains(path) == true)
        #expect(queueFileBytes(path) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == listing)
    }

    private func appliedMigrations(_ path: String) throws -> [AppliedMigration] {
        let database = try SQLiteDatabase(existingFile: path)
        return try database.query("SELECT name, applied_at FROM schema_migrations ORDER BY name") {
            AppliedMigration(name: try $0.string(0), appliedAt: try $0.string(1))
        }
    }

    private func permissions(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int) & 0o777
    }
}

private struct AppliedMigration: Equatable {
    let name: String
    let appliedAt: String
}
