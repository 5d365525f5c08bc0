import Dispatch
import Foundation

/// The SQLite implementation of `QueueStore`: one database file in WAL mode, shared safely by
/// several processes (each with its own store) through SQLite's locking.
///
/// Each store owns one connection and runs every call on its own serial dispatch queue, resuming
/// the caller when done. SQLite calls block (on disk, or up to the 10 s busy timeout while another
/// process writes), so they never run on Swift's cooperative pool, which has one thread per core.
public final class SQLiteQueueStore: QueueStore, @unchecked Sendable {
    /// The database file.
    public let path: String
    private let clock: @Sendable () -> Date
    private let queue: DispatchQueue
    // Touched only on `queue`; that is what makes the `@unchecked Sendable` above true.
    private let database: SQLiteDatabase

    /// Opens (creating if missing) the queue database at `path` and brings its schema up to date.
    ///
    /// A new file gets mode 0600 and missing directories 0700. A file that is not an ocibatch
    /// database, or one from a newer ocibatch, is refused (`QueueError`) and left unchanged.
    /// Blocks while it opens: call it once at start-up. `clock` is the source of every time stored.
    public init(path: String, clock: @escaping @Sendable () -> Date = { Date() }) throws {
        self.path = path
        self.clock = clock
        self.queue = DispatchQueue(label: "ocibatch.queue-store")
        do {
            self.database = try QueueDatabaseOpener.open(path: path, now: clock())
        } catch {
            throw Self.queueError(error, path: path)
        }
    }

    /// Runs `body` on the store's queue with the connection and the current time.
    func perform<Result: Sendable>(
        _ body: @escaping @Sendable (SQLiteDatabase, Date) throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    continuation.resume(returning: try body(self.database, self.clock()))
                } catch {
                    continuation.resume(throwing: Self.queueError(error, path: self.path))
                }
            }
        }
    }

    private static func queueError(_ error: any Error, path: String) -> QueueError {
        if let error = error as? QueueError { return error }
        return QueueError(.database, "queue database \(path): \(error)")
    }

    // MARK: Runs

    private static let runColumns = "id, plan_name, plan_hash, plan_json, created_at, finished_at, state"

    private static func runRecord(_ row: SQLiteRow) throws -> RunRecord {
        RunRecord(
            id: RunID(rawValue: try row.int64(0)), planName: try row.string(1), planHash: try row.string(2),
            planJSON: Data(try row.string(3).utf8), createdAt: try row.date(4), finishedAt: try row.optionalDate(5),
            state: try row.value(RunState.self, 6))
    }

    public func startRun(_ plan: NewRun, forceNew: Bool) async throws -> RunStart {
        try await perform { database, now in
            try database.writeTransaction {
                if !forceNew, let run = try Self.newestUnfinishedRun(database, planHash: plan.planHash) {
                    try database.run("UPDATE runs SET state = 'running' WHERE id = ?1", [run.id.rawValue])
                    var resumed = run
                    resumed.state = .running
                    return RunStart(run: resumed, resumed: true)
                }
                let sql = """
                    INSERT INTO runs (plan_name, plan_hash, plan_json, created_at, state)
                    VALUES (?1, ?2, ?3, ?4, 'running') RETURNING \(Self.runColumns)
                    """
                let values: [any SQLiteBindable] = [
                    plan.planName, plan.planHash, String(decoding: plan.planJSON, as: UTF8.self), Timestamp.text(now),
                ]
                guard let run = try database.queryFirst(sql, values, row: Self.runRecord) else {
                    throw QueueError(.database, "queue database \(database.path): inserting a run returned no row")
                }
                return RunStart(run: run, resumed: false)
            }
        }
    }

    public func unfinishedRun(planHash: String?) async throws -> RunRecord? {
        try await perform { database, _ in try Self.newestUnfinishedRun(database, planHash: planHash) }
    }

    private static func newestUnfinishedRun(_ database: SQLiteDatabase, planHash: String?) throws -> RunRecord? {
        try database.queryFirst(
            """
            SELECT \(runColumns) FROM runs
            WHERE state IN ('running', 'interrupted') AND (?1 IS NULL OR plan_hash = ?1)
            ORDER BY id DESC LIMIT 1
            """, [planHash], row: runRecord)
    }

    public func run(_ id: RunID) async throws -> RunRecord? {
        try await perform { database, _ in
            try database.queryFirst(
                "SELECT \(Self.runColumns) FROM runs WHERE id = ?1", [id.rawValue], row: Self.runRecord)
        }
    }

    public func runs() async throws -> [RunRecord] {
        try await perform { database, _ in
            try database.query("SELECT \(Self.runColumns) FROM runs ORDER BY id", row: Self.runRecord)
        }
    }

    public func markRun(_ id: RunID, as state: RunState) async throws {
        try await perform { database, now in try Self.setRunState(database, id, state, now: now) }
    }

    private static func setRunState(_ database: SQLiteDatabase, _ id: RunID, _ state: RunState, now: Date) throws {
        let finishedAt = state.isResumable ? nil : Timestamp.text(now)
        let changed = try database.run(
            "UPDATE runs SET state = ?1, finished_at = ?2 WHERE id = ?3", [state.rawValue, finishedAt, id.rawValue])
        guard changed == 1 else { throw QueueError(.notFound, "run \(id) does not exist in \(database.path)") }
    }

    public func finishRunIfDone(_ id: RunID) async throws -> RunState? {
        try await perform { database, now in
            try database.writeTransaction {
                let counts = try database.queryFirst(
                    """
                    SELECT count(*) FILTER (WHERE state IN ('pending', 'running')),
                           count(*) FILTER (WHERE state IN ('failed', 'dead'))
                    FROM steps WHERE run_id = ?1
                    """, [id.rawValue]
                ) { (open: try $0.int64(0), failed: try $0.int64(1)) }
                guard let counts, counts.open == 0 else { return nil }
                let state: RunState = counts.failed == 0 ? .finished : .failed
                try Self.setRunState(database, id, state, now: now)
                return state
            }
        }
    }
}
