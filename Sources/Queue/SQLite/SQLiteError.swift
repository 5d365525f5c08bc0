import CSQLite
import Foundation

/// A failed SQLite call: the extended result code, SQLite's message and the SQL text.
///
/// Bound values are never part of it, so a credential bound into a statement cannot reach a log.
struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// The extended result code, e.g. 2067 for `SQLITE_CONSTRAINT_UNIQUE`.
    let code: Int32
    let message: String
    let sql: String?

    /// The primary result code (`SQLITE_BUSY`, `SQLITE_NOTADB`, …).
    var primaryCode: Int32 { code & 0xFF }

    init(code: Int32, message: String, sql: String?) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// An error for `code`, with the connection's message when it has one.
    init(code: Int32, connection: OpaquePointer?, sql: String?) {
        let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        self.init(code: code, message: message, sql: sql)
    }

    /// Throws unless `code` is `SQLITE_OK`: the one place where result codes become errors.
    static func check(_ code: Int32, connection: OpaquePointer?, sql: String?) throws {
        guard code == SQLITE_OK else { throw SQLiteError(code: code, connection: connection, sql: sql) }
    }

    var description: String {
        let name = String(cString: sqlite3_errstr(code))
        let statement = sql.map { " in: \($0.trimmingCharacters(in: .whitespacesAndNewlines))" } ?? ""
        return "SQLite error \(code) (\(name)): \(message)\(statement)"
    }
}
