import Foundation

/// The durable queue of runs, steps and audit records that the engine works from.
///
/// It knows nothing of registries or images: step input and results are opaque JSON. SQL stays
/// behind this protocol so that another backend (PostgreSQL, for workers on several hosts) can
/// implement it. Methods are `async` because a backend may wait on a lock or a network; time comes
/// from the store's clock, so tests control leases and backoff.
public protocol QueueStore: Sendable {
    // MARK: Runs

    /// Resumes the newest unfinished run of the same plan (same hash), or starts a new one.
    /// `forceNew` always starts a new one. Atomic: two processes starting one plan share one run.
    func startRun(_ plan: NewRun, forceNew: Bool) async throws -> RunStart
    /// The newest run still `running` or `interrupted`, of the plan with that hash or of any plan.
    func unfinishedRun(planHash: String?) async throws -> RunRecord?
    func run(_ id: RunID) async throws -> RunRecord?
    /// Every run, oldest first.
    func runs() async throws -> [RunRecord]
    /// Sets a run's state; `finished` and `failed` also record the finish time.
    func markRun(_ id: RunID, as state: RunState) async throws
    /// Marks the run `finished` or `failed` if no step is pending or running; returns the new state.
    func finishRunIfDone(_ id: RunID) async throws -> RunState?

    // MARK: Steps

    /// Adds steps and their dependencies to a run in one transaction. A key the run already has
    /// is left as it is. Returns the id of every key in `steps`, new or old.
    func insertSteps(_ steps: [NewStep], into run: RunID) async throws -> [String: StepID]
    /// Leases up to `limit` steps to `owner` in one statement: pending steps that are due and whose
    /// dependencies all succeeded or were skipped, and running steps whose lease has expired.
    /// Several processes may claim from one database at once; no step goes to two of them.
    func claim(run: RunID?, owner: String, leaseDuration: Duration, limit: Int) async throws -> [ClaimedStep]
    /// Extends one lease to now + `duration`. Throws `leaseLost` if the worker no longer holds it.
    func renewLease(_ lease: StepLease, duration: Duration) async throws
    /// Extends every lease `owner` holds; returns how many.
    func renewLeases(owner: String, duration: Duration) async throws -> Int
    /// Puts a running step back to pending until `at`, recording the attempt's error.
    func retryLater(_ lease: StepLease, error: String, at: Date) async throws
    /// Records a final outcome and its one audit record in one transaction. When the outcome is
    /// `failed` or `dead`, every pending step that depends on it, directly or not, becomes `failed`
    /// ("dependency step N (push, job J) failed") with its own audit record, so the run can end.
    func complete(_ lease: StepLease, outcome: StepOutcome, report: StepReport) async throws
    /// Graceful shutdown: returns `owner`'s running steps to pending, due now, without counting
    /// the interrupted attempt (nor its start time, if it was the first). Returns how many.
    func release(owner: String) async throws -> Int
    /// The earliest time `claim` could return a step of the run (a due retry, an expiring lease).
    func nextClaimableAt(run: RunID) async throws -> Date?

    // MARK: Reading

    func step(_ id: StepID) async throws -> StepRecord?
    /// A run's steps, by id.
    func steps(run: RunID) async throws -> [StepRecord]
    func progress(run: RunID) async throws -> RunProgress
    /// Audit records that match every set field of `filter`, by end time.
    func audit(_ filter: AuditFilter) async throws -> [AuditRecord]
}
