import Foundation

extension SQLiteQueueStore {
    public func insertSteps(_ steps: [NewStep], into run: RunID) async throws -> [String: StepID] {
        for step in steps {
            guard step.maxAttempts >= 1 else {
                throw QueueError(.invalidArgument, "step \(step.key) of job \(step.jobID) allows no attempts")
            }
            guard !step.dependsOn.contains(step.key) else {
                throw QueueError(.invalidArgument, "step \(step.key) of job \(step.jobID) depends on itself")
            }
        }
        return try await perform { database, now in
            try database.writeTransaction {
                let runExists = try database.queryFirst("SELECT 1 FROM runs WHERE id = ?1", [run.rawValue]) { _ in true
                }
                guard runExists == true else { throw QueueError(.notFound, "run \(run) does not exist") }
                var ids: [String: StepID] = [:]
                for step in steps {
                    ids[step.key] = try Self.insertStep(database, step, run: run, now: now)
                }
                for step in steps {
                    guard let stepID = ids[step.key] else { continue }
                    for key in step.dependsOn {
                        let dependency = try ids[key] ?? Self.stepID(database, run: run, key: key)
                        guard let dependency else {
                            throw QueueError(
                                .unknownDependency,
                                "step \(step.key) of job \(step.jobID) depends on \(key), which run \(run) does not have"
                            )
                        }
                        try database.run(
                            "INSERT INTO step_deps (step_id, depends_on) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                            [stepID.rawValue, dependency.rawValue])
                    }
                }
                // A step planned after its dependency already failed must not wait for ever.
                try Self.failDependantsOfFailedSteps(database, run: run, now: now)
                return ids
            }
        }
    }

    private static func insertStep(_ database: SQLiteDatabase, _ step: NewStep, run: RunID, now: Date) throws -> StepID
    {
        let inserted = try database.queryFirst(
            """
            INSERT INTO steps (run_id, job_id, kind, idempotency_key, input, max_attempts, next_attempt_at,
                               source, target)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            ON CONFLICT (run_id, idempotency_key) DO NOTHING
            RETURNING id
            """,
            [
                run.rawValue, step.jobID, step.kind.rawValue, step.key, String(decoding: step.input, as: UTF8.self),
                step.maxAttempts, Timestamp.text(now), step.source, step.target,
            ]
        ) { StepID(rawValue: try $0.int64(0)) }
        if let inserted { return inserted }
        guard let existing = try stepID(database, run: run, key: step.key) else {
            throw QueueError(.database, "step \(step.key) of run \(run) was neither inserted nor found")
        }
        return existing
    }

    private static func stepID(_ database: SQLiteDatabase, run: RunID, key: String) throws -> StepID? {
        try database.queryFirst(
            "SELECT id FROM steps WHERE run_id = ?1 AND idempotency_key = ?2", [run.rawValue, key]
        ) { StepID(rawValue: try $0.int64(0)) }
    }

    public func claim(run: RunID?, owner: String, leaseDuration: Duration, limit: Int) async throws -> [ClaimedStep] {
        guard limit > 0 else { return [] }
        return try await perform { database, now in
            // One statement, so the choice and the lease are one atomic write: two connections can
            // never both see a step as free and both take it. Due pending steps and expired leases
            // are chosen by two index walks that stop at the limit, so a claim costs the same with
            // ten steps queued or a hundred thousand (one OR-ed query sorted the whole table).
            let sql = """
                UPDATE steps
                SET state = 'running',
                    attempts = attempts + (state = 'pending'),
                    lease_owner = ?1,
                    lease_expires_at = ?2,
                    started_at = coalesce(started_at, ?3)
                WHERE id IN (
                    SELECT id FROM (
                        SELECT s.id FROM steps AS s INDEXED BY steps_claimable
                        WHERE s.state = 'pending' AND s.next_attempt_at <= ?3
                          AND (?5 IS NULL OR s.run_id = ?5)
                          AND NOT EXISTS (
                              SELECT 1 FROM step_deps AS d JOIN steps AS p ON p.id = d.depends_on
                              WHERE d.step_id = s.id AND p.state NOT IN ('succeeded', 'skipped'))
                        ORDER BY s.next_attempt_at, s.id
                        LIMIT ?4)
                    UNION ALL
                    SELECT id FROM (
                        SELECT s.id FROM steps AS s INDEXED BY steps_leased
                        WHERE s.state = 'running' AND s.lease_expires_at <= ?3
                          AND (?5 IS NULL OR s.run_id = ?5)
                        ORDER BY s.lease_expires_at, s.id
                        LIMIT ?4)
                    LIMIT ?4)
                RETURNING id, run_id, job_id, kind, idempotency_key, input, attempts, max_attempts,
                          source, target, last_error, lease_expires_at
                """
            let values: [any SQLiteBindable] = [
                owner, Timestamp.text(now.adding(leaseDuration)), Timestamp.text(now), limit, run?.rawValue,
            ]
            let claimed = try database.query(sql, values) { row in
                ClaimedStep(
                    id: StepID(rawValue: try row.int64(0)), runID: RunID(rawValue: try row.int64(1)),
                    jobID: try row.string(2), kind: try row.value(StepKind.self, 3), key: try row.string(4),
                    input: Data(try row.string(5).utf8), attempts: try row.int(6), maxAttempts: try row.int(7),
                    source: row.optionalString(8), target: row.optionalString(9), lastError: row.optionalString(10),
                    owner: owner, leaseExpiresAt: try row.date(11))
            }
            return claimed.sorted { $0.id < $1.id }
        }
    }

    public func renewLease(_ lease: StepLease, duration: Duration) async throws {
        try await perform { database, now in
            let changed = try database.run(
                "UPDATE steps SET lease_expires_at = ?1 WHERE id = ?2 AND state = 'running' AND lease_owner = ?3",
                [Timestamp.text(now.adding(duration)), lease.step.rawValue, lease.owner])
            guard changed == 1 else { throw try Self.leaseLost(database, lease) }
        }
    }

    public func renewLeases(owner: String, duration: Duration) async throws -> Int {
        try await perform { database, now in
            try database.run(
                "UPDATE steps SET lease_expires_at = ?1 WHERE state = 'running' AND lease_owner = ?2",
                [Timestamp.text(now.adding(duration)), owner])
        }
    }

    public func retryLater(_ lease: StepLease, error: String, at: Date) async throws {
        try await perform { database, _ in
            let changed = try database.run(
                """
                UPDATE steps
                SET state = 'pending', next_attempt_at = ?1, last_error = ?2,
                    lease_owner = NULL, lease_expires_at = NULL
                WHERE id = ?3 AND state = 'running' AND lease_owner = ?4
                """, [Timestamp.text(at), error, lease.step.rawValue, lease.owner])
            guard changed == 1 else { throw try Self.leaseLost(database, lease) }
        }
    }

    public func complete(_ lease: StepLease, outcome: StepOutcome, report: StepReport) async throws {
        try await perform { database, now in
            try database.writeTransaction {
                let changed = try database.run(
                    """
                    UPDATE steps
                    SET state = ?1, result = ?2, digest = ?3, media_type = ?4, size = ?5,
                        source = coalesce(?6, source), target = coalesce(?7, target), last_error = ?8,
                        finished_at = ?9, lease_owner = NULL, lease_expires_at = NULL
                    WHERE id = ?10 AND state = 'running' AND lease_owner = ?11
                    """,
                    [
                        outcome.rawValue, report.result.map { String(decoding: $0, as: UTF8.self) }, report.digest,
                        report.mediaType, report.size, report.source, report.target, report.error, Timestamp.text(now),
                        lease.step.rawValue, lease.owner,
                    ])
                guard changed == 1 else { throw try Self.leaseLost(database, lease) }
                try Self.recordAudit(database, step: lease.step, details: report.details)
                if !outcome.letsDependantsRun {
                    let run = try database.queryFirst("SELECT run_id FROM steps WHERE id = ?1", [lease.step.rawValue]) {
                        RunID(rawValue: try $0.int64(0))
                    }
                    if let run { try Self.failDependantsOfFailedSteps(database, run: run, now: now) }
                }
            }
        }
    }

    public func release(owner: String) async throws -> Int {
        try await perform { database, now in
            try database.run(
                """
                UPDATE steps
                SET state = 'pending', attempts = max(attempts - 1, 0), next_attempt_at = ?1,
                    lease_owner = NULL, lease_expires_at = NULL,
                    started_at = CASE WHEN attempts > 1 THEN started_at END
                WHERE state = 'running' AND lease_owner = ?2
                """, [Timestamp.text(now), owner])
        }
    }

    public func nextClaimableAt(run: RunID) async throws -> Date? {
        try await perform { database, _ in
            try database.queryFirst(
                """
                SELECT min(due) FROM (
                    SELECT s.next_attempt_at AS due FROM steps AS s
                    WHERE s.run_id = ?1 AND s.state = 'pending'
                      AND NOT EXISTS (
                          SELECT 1 FROM step_deps AS d JOIN steps AS p ON p.id = d.depends_on
                          WHERE d.step_id = s.id AND p.state NOT IN ('succeeded', 'skipped'))
                    UNION ALL
                    SELECT lease_expires_at FROM steps WHERE run_id = ?1 AND state = 'running')
                """, [run.rawValue]
            ) { try $0.optionalDate(0) } ?? nil
        }
    }

    /// Copies a step that has just reached its final state into the audit trail.
    private static func recordAudit(_ database: SQLiteDatabase, step: StepID, details: Data?) throws {
        try database.run(
            """
            INSERT INTO audit (run_id, step_id, job_id, op, source, target, digest, media_type, size, outcome,
                               attempts, started_at, ended_at, error, details)
            SELECT run_id, id, job_id, kind, source, target, digest, media_type, size, state,
                   attempts, started_at, finished_at, last_error, ?2
            FROM steps WHERE id = ?1
            """, [step.rawValue, details.map { String(decoding: $0, as: UTF8.self) }])
    }

    /// Marks `failed` every pending step of the run that waits on a failed or dead step, level by
    /// level until none is left, each with an audit record naming the dependency that failed.
    private static func failDependantsOfFailedSteps(_ database: SQLiteDatabase, run: RunID, now: Date) throws {
        while true {
            let blocked = try database.query(
                """
                SELECT s.id, p.id, p.kind, p.job_id, p.state FROM steps AS s
                JOIN step_deps AS d ON d.step_id = s.id
                JOIN steps AS p ON p.id = d.depends_on
                WHERE s.run_id = ?1 AND s.state = 'pending' AND p.state IN ('failed', 'dead')
                ORDER BY s.id, p.id
                """, [run.rawValue]
            ) { row in
                let reason =
                    "dependency step \(try row.int64(1)) (\(try row.string(2)), job \(try row.string(3))) "
                    + (try row.string(4) == StepState.dead.rawValue ? "is dead" : "failed")
                return (step: try row.int64(0), reason: reason)
            }
            guard !blocked.isEmpty else { return }
            var done: Set<Int64> = []
            for (step, reason) in blocked where done.insert(step).inserted {
                try database.run(
                    "UPDATE steps SET state = 'failed', last_error = ?1, finished_at = ?2 WHERE id = ?3",
                    [reason, Timestamp.text(now), step])
                try recordAudit(database, step: StepID(rawValue: step), details: nil)
            }
        }
    }

    /// The error for a worker that no longer holds `lease`, saying what became of the step.
    private static func leaseLost(_ database: SQLiteDatabase, _ lease: StepLease) throws -> QueueError {
        let current = try database.queryFirst(
            "SELECT state, lease_owner FROM steps WHERE id = ?1", [lease.step.rawValue]
        ) { (state: try $0.string(0), owner: $0.optionalString(1)) }
        guard let current else { return QueueError(.notFound, "step \(lease.step) does not exist") }
        let now = current.owner.map { "\(current.state), leased to \($0)" } ?? current.state
        return QueueError(
            .leaseLost,
            "step \(lease.step) is no longer leased to \(lease.owner) (it is \(now)); its result was not recorded")
    }
}
