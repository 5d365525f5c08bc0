import Foundation

/// How a runner works: how many steps at once, how long its leases last, how patient it is.
public struct RunnerConfiguration: Sendable {
    /// Steps in flight at once (`--workers`).
    public var workers: Int
    /// How long a claim holds a step before another worker may take it over.
    public var leaseDuration: Duration
    /// How often the leases of running steps are renewed; well inside `leaseDuration`.
    public var leaseRenewalInterval: Duration
    /// How long running steps may go on after a graceful shutdown request (real time).
    public var gracePeriod: Duration
    /// The backoff between attempts; each step's own maximum says how many attempts it gets.
    public var retryPolicy: RetryPolicy
    /// The longest the runner waits without looking at the queue when nothing of its own is
    /// running: another process may finish a step that unblocks work here.
    public var idlePollInterval: Duration
    /// Who holds the leases; unique per runner (`LeaseOwner.unique()`).
    public var owner: String

    public init(
        workers: Int = 8, leaseDuration: Duration = .seconds(60), leaseRenewalInterval: Duration? = nil,
        gracePeriod: Duration = .seconds(10), retryPolicy: RetryPolicy = RetryPolicy(),
        idlePollInterval: Duration = .seconds(2), owner: String = LeaseOwner.unique()
    ) {
        self.workers = max(workers, 1)
        self.leaseDuration = leaseDuration
        self.leaseRenewalInterval = leaseRenewalInterval ?? leaseDuration / 3
        self.gracePeriod = gracePeriod
        self.retryPolicy = retryPolicy
        self.idlePollInterval = idlePollInterval
        self.owner = owner
    }
}

/// Lease owner names: which host and process holds a step, and which runner within it.
public enum LeaseOwner {
    /// `host:pid:random`, e.g. `build-7:4121:9f3c02aa`.
    public static func unique() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let host: String
        if gethostname(&buffer, buffer.count - 1) == 0 {
            let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            host = String(decoding: bytes, as: UTF8.self)
        } else {
            host = "localhost"
        }
        let random = String(UInt32.random(in: .min ... .max), radix: 16)
        return "\(host):\(getpid()):\(random)"
    }
}
