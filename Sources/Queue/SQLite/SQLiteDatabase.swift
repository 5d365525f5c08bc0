import CSQLite
import Foundation

/// One SQLite connection, the only owner of its `sqlite3 *`.
///
/// Not thread-safe by design: the connection is opened with `SQLITE_OPEN_NOMUTEX` and its owner
/// (`SQLiteQueueStore`) uses it from one serial dispatch queue. Every return code is checked here
/// or in `SQLiteStatement`; errors carry the SQL text, never the bound values.
final class SQLiteDatabase {
    /// How long a statement waits for another connection's write lock before failing with `SQLITE_BUSY`.
    static let busyTimeoutMilliseconds: Int32 = 10_000

    let path: String
    private let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens an existing database file for reading and writing. It never creates the file.
    init(existingFile path: String) throws {
        var connection: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &connection, flags, nil)
        guard code == SQLITE_OK, let connection else {
            let error = SQLiteError(code: code, connection: connection, sql: nil)
            sqlite3_close_v2(connection)
            throw error
        }
        self.path = path
        self.handle = connection
        sqlite3_extended_result_codes(handle, 1)
        try SQLiteError.check(sqlite3_busy_timeout(handle, Self.busyTimeoutMilliseconds), connection: handle, sql: nil)
    }

    deinit {
        statements.removeAll()  // finalise every statement before the connection goes
        sqlite3_close_v2(handle)
    }

    /// Runs a script of one or more statements without parameters (pragmas, migrations).
    func execute(script sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            throw SQLiteError(code: code, message: text, sql: sql)
        }
    }

    /// Runs one statement to completion and returns how many rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [any SQLiteBindable] = []) throws -> Int {
        let statement = try prepared(sql)
        try statement.bind(values)
        while try statement.step() {}
        return Int(sqlite3_changes64(handle))
    }

    /// Runs one statement and maps every row it returns.
    func query<Row>(
        _ sql: String, _ values: [any SQLiteBindable] = [], row map: (SQLiteRow) throws -> Row
    ) throws -> [Row] {
        let statement = try prepared(sql)
        try statement.bind(values)
        defer { statement.reset() }
        var rows: [Row] = []
        while try statement.step() { rows.append(try map(statement.row)) }
        return rows
    }

    /// The first row a statement returns, if any.
    func queryFirst<Row>(
        _ sql: String, _ values: [any SQLiteBindable] = [], row map: (SQLiteRow) throws -> Row
    ) throws -> Row? {
        let statement = try prepared(sql)
        try statement.bind(values)
        defer { statement.reset() }
        return try statement.step() ? map(statement.row) : nil
    }

    /// Runs `body` in a write transaction, committed if it returns and rolled back if it throws.
    ///
    /// `BEGIN IMMEDIATE` takes the write lock up front (waiting up to the busy timeout), so a
    /// transaction never fails half-way because another connection wrote since it started reading.
    func writeTransaction<Result>(_ body: () throws -> Result) throws -> Result {
        try run("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try run("COMMIT")
            return result
        } catch {
            if sqlite3_get_autocommit(handle) == 0 { _ = try? run("ROLLBACK") }
            throw error
        }
    }

    private func prepared(_ sql: String) throws -> SQLiteStatement {
        if let statement = statements[sql] { return statement }
        let statement = try SQLiteStatement(database: handle, sql: sql)
        statements[sql] = statement
        return statement
    }
}
