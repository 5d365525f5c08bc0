import Foundation
import Queue

/// Measures the queue and runner alone: no-op steps through a real SQLite database.
public enum QueueBenchmark {
    /// What one benchmark run measured.
    public struct Result: Sendable {
        public var steps: Int
        public var workers: Int
        public var elapsed: Duration
        public var stepsPerSecond: Double
        /// How long single claim statements took.
        public var claimLatency: LatencyPercentiles
    }

    /// Percentiles of a set of durations.
    public struct LatencyPercentiles: Sendable, Equatable {
        public var count: Int
        public var p50: Duration
        public var p90: Duration
        public var p99: Duration
        public var max: Duration

        init(_ samples: [Duration]) {
            let sorted = samples.sorted()
            func percentile(_ fraction: Double) -> Duration {
                guard !sorted.isEmpty else { return .zero }
                let index = Int((Double(sorted.count - 1) * fraction).rounded(.up))
                return sorted[min(index, sorted.count - 1)]
            }
            count = sorted.count
            p50 = percentile(0.5)
            p90 = percentile(0.9)
            p99 = percentile(0.99)
            max = sorted.last ?? .zero
        }
    }

    /// Plans `steps` no-op steps into a fresh database (in a temporary directory unless
    /// `databasePath` names one) and runs them with `workers` workers. The database file is
    /// removed afterwards when it was temporary.
    public static func run(steps: Int = 10_000, workers: Int = 16, databasePath: String? = nil) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ocibatch-benchmark-\(UUID().uuidString)").path
        let path = databasePath ?? directory + "/queue.db"
        defer { if databasePath == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let store = try SQLiteQueueStore(path: path)
        let plan = NewRun(
            planName: "queue-benchmark", planHash: "queue-benchmark-\(UUID().uuidString)", planJSON: Data("{}".utf8))
        let runID = try await store.startRun(plan, forceNew: true).run.id
        let newSteps = (0..<steps).map { NewStep(key: "noop:\($0)", jobID: "benchmark", kind: .noop) }
        _ = try await store.insertSteps(newSteps, into: runID)

        let latencies = LatencyRecorder()
        var runner = Runner(
            store: store, executors: StepExecutors([.noop: NoopExecutor()]),
            configuration: RunnerConfiguration(workers: workers))
        runner.claimObserver = { latencies.add($0) }
        let started = ContinuousClock.now
        let summary = try await runner.run(runID)
        let elapsed = ContinuousClock.now - started
        let done = summary.count(.succeeded)
        return Result(
            steps: done, workers: workers, elapsed: elapsed,
            stepsPerSecond: elapsed > .zero ? Double(done) / elapsed.timeInterval : 0,
            claimLatency: LatencyPercentiles(latencies.samples))
    }
}

private final class LatencyRecorder: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var recorded: [Duration] = []

    func add(_ sample: Duration) {
        lock.withLock { recorded.append(sample) }
    }

    var samples: [Duration] { lock.withLock { recorded } }
}
