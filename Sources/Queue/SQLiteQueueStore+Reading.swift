import Foundation

extension SQLiteQueueStore {
    private static let stepColumns = """
        id, run_id, job_id, kind, idempotency_key, input, state, attempts, max_attempts, next_attempt_at,
        lease_owner, lease_expires_at, last_error, result, digest, media_type, size, source, target,
        started_at, finished_at
        """

    private static func stepRecord(_ row: SQLiteRow) throws -> StepRecord {
        StepRecord(
            id: StepID(rawValue: try row.int64(0)), runID: RunID(rawValue: try row.int64(1)), jobID: try row.string(2),
            kind: try row.value(StepKind.self, 3), key: try row.string(4), input: Data(try row.string(5).utf8),
            state: try row.value(StepState.self, 6), attempts: try row.int(7), maxAttempts: try row.int(8),
            nextAttemptAt: try row.date(9), leaseOwner: row.optionalString(10),
            leaseExpiresAt: try row.optionalDate(11),
            lastError: row.optionalString(12), result: row.optionalData(13), digest: row.optionalString(14),
            mediaType: row.optionalString(15), size: row.optionalInt64(16), source: row.optionalString(17),
            target: row.optionalString(18), startedAt: try row.optionalDate(19), finishedAt: try row.optionalDate(20),
            dependsOn: [])
    }

    public func step(_ id: StepID) async throws -> StepRecord? {
        try await perform { database, _ in
            guard
                var step = try database.queryFirst(
                    "SELECT \(Self.stepColumns) FROM steps WHERE id = ?1", [id.rawValue], row: Self.stepRecord)
            else { return nil }
            step.dependsOn = try database.query(
                "SELECT depends_on FROM step_deps WHERE step_id = ?1 ORDER BY depends_on", [id.rawValue]
            ) { StepID(rawValue: try $0.int64(0)) }
            return step
        }
    }

    public func steps(run: RunID) async throws -> [StepRecord] {
        try await perform { database, _ in
            var steps = try database.query(
                "SELECT \(Self.stepColumns) FROM steps WHERE run_id = ?1 ORDER BY id", [run.rawValue],
                row: Self.stepRecord)
            let dependencies = try database.query(
                """
                SELECT d.step_id, d.depends_on FROM step_deps AS d JOIN steps AS s ON s.id = d.step_id
                WHERE s.run_id = ?1 ORDER BY d.step_id, d.depends_on
                """, [run.rawValue]
            ) { (step: StepID(rawValue: try $0.int64(0)), dependency: StepID(rawValue: try $0.int64(1))) }
            let byStep = Dictionary(grouping: dependencies, by: \.step)
            for index in steps.indices {
                steps[index].dependsOn = byStep[steps[index].id]?.map(\.dependency) ?? []
            }
            return steps
        }
    }

    public func progress(run: RunID) async throws -> RunProgress {
        try await perform { database, _ in
            let rows = try database.query(
                "SELECT job_id, state, count(*) FROM steps WHERE run_id = ?1 GROUP BY job_id, state ORDER BY job_id",
                [run.rawValue]
            ) { (job: try $0.string(0), state: try $0.value(StepState.self, 1), count: try $0.int(2)) }
            var jobs: [JobProgress] = []
            for row in rows {
                if jobs.last?.jobID != row.job { jobs.append(JobProgress(jobID: row.job, counts: [:])) }
                jobs[jobs.count - 1].counts[row.state] = row.count
            }
            return RunProgress(jobs: jobs)
        }
    }

    public func audit(_ filter: AuditFilter) async throws -> [AuditRecord] {
        if let limit = filter.limit, limit < 0 {
            throw QueueError(.invalidArgument, "an audit limit cannot be negative (\(limit))")
        }
        return try await perform { database, _ in
            var conditions: [String] = []
            var values: [any SQLiteBindable] = []
            if let run = filter.run {
                conditions.append("run_id = ?")
                values.append(run.rawValue)
            }
            if let job = filter.job {
                conditions.append("job_id = ?")
                values.append(job)
            }
            if let op = filter.op {
                conditions.append("op = ?")
                values.append(op.rawValue)
            }
            if let glob = filter.refGlob {
                conditions.append("(source GLOB ? OR target GLOB ?)")
                values += [glob, glob]
            }
            if let digest = filter.digest {
                conditions.append("substr(digest, 1, length(?)) = ?")
                values += [digest, digest]
            }
            if let since = filter.since {
                conditions.append("ended_at >= ?")
                values.append(Timestamp.text(since))
            }
            if let until = filter.until {
                conditions.append("ended_at < ?")
                values.append(Timestamp.text(until))
            }
            if let outcome = filter.outcome {
                conditions.append("outcome = ?")
                values.append(outcome.rawValue)
            }
            var sql = """
                SELECT id, run_id, step_id, job_id, op, source, target, digest, media_type, size, outcome, attempts,
                       started_at, ended_at, error, details
                FROM audit
                """
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY ended_at, id"
            if let limit = filter.limit {
                sql += " LIMIT ?"
                values.append(limit)
            }
            return try database.query(sql, values) { row in
                AuditRecord(
                    id: try row.int64(0), runID: row.optionalInt64(1).map(RunID.init(rawValue:)),
                    stepID: row.optionalInt64(2).map(StepID.init(rawValue:)), jobID: try row.string(3),
                    op: try row.string(4), source: row.optionalString(5), target: row.optionalString(6),
                    digest: row.optionalString(7), mediaType: row.optionalString(8), size: row.optionalInt64(9),
                    outcome: try row.value(StepOutcome.self, 10), attempts: try row.int(11),
                    startedAt: try row.optionalDate(12), endedAt: try row.date(13), error: row.optionalString(14),
                    details: row.optionalData(15))
            }
        }
    }
}
