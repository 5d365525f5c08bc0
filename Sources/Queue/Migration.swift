/// A named change to the database schema. Its SQL is also in `schema/<name>.sql`, which a test
/// keeps byte-for-byte equal to the embedded copy.
struct Migration: Sendable {
    let name: String
    let sql: String
}

extension Migration {
    /// Every migration this binary knows, in the order they apply.
    static let all: [Migration] = [.initial]

    /// `PRAGMA application_id` of an ocibatch database: 'OCIB'.
    static let applicationID: Int64 = 1_329_809_730
}
