import Foundation

/// A stand-in for Docker Hub's web API (`hub.docker.com`) with the shapes of the real one:
/// `POST /v2/users/login/` takes `{"username","password"}` and answers `{"token"}` (401 with
/// `{"detail"}` otherwise); `DELETE /v2/repositories/<namespace>/<name>/` wants `Authorization:
/// JWT <token>` and answers 202.
public final class HubFakeAPI: @unchecked Sendable {
    private let lock = NSLock()
    private var deleted: [String] = []
    private var server: HTTPTestServer?
    private let username: String
    private let password: String
    private let token = "hub-jwt-" + UUID().uuidString

    public init(username: String, password: String) throws {
        self.username = username
        self.password = password
        server = try HTTPTestServer { [weak self] request in self?.answer(request) ?? .reset }
    }

    deinit { server?.stop() }

    /// `http://127.0.0.1:PORT`.
    public var baseURL: URL { server?.url("") ?? URL(fileURLWithPath: "/") }
    /// `127.0.0.1:PORT`.
    public var address: String { "127.0.0.1:\(server?.port ?? 0)" }
    /// Repositories deleted so far, `namespace/name`.
    public var deletedRepositories: [String] { lock.withLock { deleted } }
    public var requests: [HTTPTestServer.Request] { server?.requests ?? [] }

    private func answer(_ request: HTTPTestServer.Request) -> HTTPTestServer.Action {
        if request.method == "POST", request.path == "/v2/users/login/" {
            let body = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any]
            guard body?["username"] as? String == username, body?["password"] as? String == password else {
                return Self.json(401, #"{"detail":"Incorrect authentication credentials."}"#)
            }
            return Self.json(200, #"{"token":"\#(token)"}"#)
        }
        let prefix = "/v2/repositories/"
        if request.method == "DELETE", request.path.hasPrefix(prefix), request.path.hasSuffix("/") {
            guard request.header("Authorization") == "JWT " + token else {
                return Self.json(401, #"{"detail":"Authentication credentials were not provided."}"#)
            }
            let repository = String(request.path.dropFirst(prefix.count).dropLast())
            lock.withLock { deleted.append(repository) }
            return .respond(status: 202)
        }
        return Self.json(404, #"{"message":"object not found","errinfo":{}}"#)
    }

    private static func json(_ status: Int, _ text: String) -> HTTPTestServer.Action {
        .respond(status: status, headers: [("Content-Type", "application/json")], body: Data(text.utf8))
    }
}
