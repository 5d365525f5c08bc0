import CSQLite
import Foundation

extension SQLiteRow {
    /// A stored time; throws if the column does not hold one.
    func date(_ column: Int32) throws -> Date {
        let text = try string(column)
        guard let date = Timestamp.date(text) else { throw mismatch(column, "is not a timestamp") }
        return date
    }

    func optionalDate(_ column: Int32) throws -> Date? {
        isNull(column) ? nil : try date(column)
    }

    /// A stored enum value (state, kind, outcome); throws on a value this binary does not know.
    func value<Value: RawRepresentable>(_ type: Value.Type, _ column: Int32) throws -> Value
    where Value.RawValue == String {
        guard let value = Value(rawValue: try string(column)) else { throw mismatch(column, "holds an unknown value") }
        return value
    }

    private func mismatch(_ column: Int32, _ problem: String) -> SQLiteError {
        SQLiteError(code: SQLITE_MISMATCH, message: "column \(column) \(problem)", sql: nil)
    }
}
