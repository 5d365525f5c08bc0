/// Waiting on state that has no event to await (a server thread's counter, a client statistic).
public enum HTTPTestPolling {
    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    public static func until(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition()
    }
}
