import CSQLite
import Foundation

/// A prepared statement. It is finalised when the last reference goes away.
final class SQLiteStatement {
    let sql: String
    private let handle: OpaquePointer

    init(database: OpaquePointer, sql: String) throws {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(database, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        try SQLiteError.check(code, connection: database, sql: sql)
        guard let statement else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "empty statement", sql: sql)
        }
        self.sql = sql
        self.handle = statement
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement and binds `values` to parameters 1…n.
    func bind(_ values: [any SQLiteBindable]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let code = bind(value.sqliteValue, at: Int32(offset + 1))
            try SQLiteError.check(code, connection: sqlite3_db_handle(handle), sql: sql)
        }
    }

    private func bind(_ value: SQLiteValue, at index: Int32) -> Int32 {
        switch value {
        case .null:
            return sqlite3_bind_null(handle, index)
        case .integer(let number):
            return sqlite3_bind_int64(handle, index, number)
        case .real(let number):
            return sqlite3_bind_double(handle, index, number)
        case .text(let text):
            let length = Int32(text.utf8.count)
            return text.withCString { sqlite3_bind_text(handle, index, $0, length, ocb_sqlite_transient()) }
        case .blob(let bytes):
            guard !bytes.isEmpty else { return sqlite3_bind_zeroblob(handle, index, 0) }
            return bytes.withUnsafeBytes {
                sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), ocb_sqlite_transient())
            }
        }
    }

    /// Advances one row; false once the statement is done.
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        // Reset at once so that a finished statement holds no read snapshot or lock.
        defer { sqlite3_reset(handle) }
        if code == SQLITE_DONE { return false }
        try SQLiteError.check(code, connection: sqlite3_db_handle(handle), sql: sql)
        return false
    }

    /// Gives up the rest of the rows and any lock the statement holds.
    func reset() {
        sqlite3_reset(handle)
    }

    var row: SQLiteRow { SQLiteRow(statement: handle, sql: sql) }

}

/// Typed access to the columns of the current row.
struct SQLiteRow {
    fileprivate let statement: OpaquePointer
    fileprivate let sql: String

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(statement, column) == SQLITE_NULL
    }

    func int64(_ column: Int32) throws -> Int64 {
        try requireValue(column)
        return sqlite3_column_int64(statement, column)
    }

    func int(_ column: Int32) throws -> Int {
        Int(try int64(column))
    }

    func optionalInt64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : sqlite3_column_int64(statement, column)
    }

    func string(_ column: Int32) throws -> String {
        try requireValue(column)
        return optionalString(column) ?? ""
    }

    func optionalString(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(statement, column) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// The column's text as UTF-8 bytes (how JSON columns reach callers).
    func optionalData(_ column: Int32) -> Data? {
        optionalString(column).map { Data($0.utf8) }
    }

    private func requireValue(_ column: Int32) throws {
        guard isNull(column) else { return }
        let name = sqlite3_column_name(statement, column).map { String(cString: $0) } ?? "#\(column)"
        throw SQLiteError(code: SQLITE_MISMATCH, message: "column \(name) is NULL", sql: sql)
    }
}
