import Foundation
import Registry
import TestSupport

/// A scripted registry on `HTTPTestServer`: each test says how to answer, the server records
/// what it was sent.
final class RegistryFakeServer: @unchecked Sendable {
    typealias Request = HTTPTestServer.Request
    typealias Action = HTTPTestServer.Action

    private let lock = NSLock()
    private var answer: @Sendable (Request, Int) -> Action
    private var counts: [String: Int] = [:]
    private(set) var server: HTTPTestServer?

    init(_ answer: @escaping @Sendable (Request, Int) -> Action) throws {
        self.answer = answer
        server = try HTTPTestServer { [weak self] request in self?.respond(request) ?? .reset }
    }

    deinit { server?.stop() }

    /// `127.0.0.1:PORT`.
    var address: String { "127.0.0.1:\(server?.port ?? 0)" }
    var requests: [Request] { server?.requests ?? [] }

    /// Requests whose path is `path`.
    func requests(to path: String) -> [Request] { requests.filter { $0.path == path } }

    private func respond(_ request: Request) -> Action {
        let count = lock.withLock { () -> Int in
            counts[request.path, default: 0] += 1
            return counts[request.path, default: 0]
        }
        return answer(request, count)
    }

    /// A session that speaks plain http to the fake, retrying as `retryPolicy` says.
    func session(
        retryPolicy: RetryPolicy = .none, credentials: Credentials? = nil, extraInsecure: [String] = []
    ) -> RegistrySession {
        var configuration = RegistryConfiguration(
            insecureRegistries: Set(["http://" + address] + extraInsecure), retryPolicy: retryPolicy)
        if let credentials { configuration.credentials[address] = credentials }
        return RegistrySession(configuration: configuration)
    }

    static func json(_ status: Int, _ text: String, headers: [(String, String)] = []) -> Action {
        .respond(status: status, headers: [("Content-Type", "application/json")] + headers, body: Data(text.utf8))
    }
}

/// Records the waits a retry policy asks for instead of waiting.
final class SleepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Duration] = []
    var sleeps: [Duration] { lock.withLock { recorded } }

    func policy(maxAttempts: Int = 3) -> RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, random: { 0.5 }, sleep: { [self] in record($0) })
    }

    private func record(_ duration: Duration) { lock.withLock { recorded.append(duration) } }
}
