import Foundation

/// A stand-in for IBM Cloud IAM and IBM Cloud Container Registry's image API, with the shapes of
/// the real ones, on one local server:
/// - `POST /identity/token`, form-encoded `grant_type=urn:ibm:params:oauth:grant-type:apikey` and
///   `apikey`, answers `{"access_token": <JWT with claim account.bss>, "token_type": "Bearer", …}`
///   or 400 `{"errorCode","errorMessage"}`;
/// - `DELETE /api/v1/images/<form-escaped reference>` wants `Account` and `Authorization` and
///   answers 200 with what it untagged.
public final class IBMFakeAPI: @unchecked Sendable {
    private let lock = NSLock()
    private var deleted: [String] = []
    private var server: HTTPTestServer?
    private let apiKey: String
    public let accountID: String
    private let accessToken: String

    public init(apiKey: String, accountID: String = "f00dfeedf00dfeed") throws {
        self.apiKey = apiKey
        self.accountID = accountID
        func base64URL(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        accessToken =
            base64URL(#"{"alg":"RS256","kid":"fake"}"#) + "."
            + base64URL(#"{"iam_id":"IBMid-1","account":{"bss":"\#(accountID)","valid":true},"exp":4102444800}"#)
            + ".c2lnbmF0dXJl"
        server = try HTTPTestServer { [weak self] request in self?.answer(request) ?? .reset }
    }

    deinit { server?.stop() }

    /// `http://127.0.0.1:PORT`, the base of both APIs.
    public var baseURL: URL { server?.url("") ?? URL(fileURLWithPath: "/") }
    public var address: String { "127.0.0.1:\(server?.port ?? 0)" }
    /// References deleted so far, decoded from the request path.
    public var deletedReferences: [String] { lock.withLock { deleted } }
    public var requests: [HTTPTestServer.Request] { server?.requests ?? [] }

    private func answer(_ request: HTTPTestServer.Request) -> HTTPTestServer.Action {
        if request.method == "POST", request.path == "/identity/token" {
            let form = Self.decodeForm(String(decoding: request.body, as: UTF8.self))
            guard request.header("Content-Type") == "application/x-www-form-urlencoded",
                form["grant_type"] == "urn:ibm:params:oauth:grant-type:apikey"
            else { return Self.json(400, #"{"errorCode":"BXNIM0109E","errorMessage":"Property missing or empty"}"#) }
            guard form["apikey"] == apiKey else {
                return Self.json(
                    400, #"{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found."}"#)
            }
            return Self.json(
                200,
                #"{"access_token":"\#(accessToken)","refresh_token":"not-supported","token_type":"Bearer","expires_in":3600,"expiration":4102444800,"scope":"ibm openid"}"#
            )
        }
        let prefix = "/api/v1/images/"
        if request.method == "DELETE", request.path.hasPrefix(prefix) {
            guard request.header("Account") == accountID, request.header("Authorization") == "Bearer " + accessToken
            else {
                return Self.json(
                    401, #"{"code":"CRG0001E","message":"You are not authorized to access the specified resource."}"#)
            }
            let escaped = String(request.path.dropFirst(prefix.count))
            guard !escaped.contains("/"), let reference = Self.decodeComponent(escaped) else {
                return Self.json(404, #"{"code":"CRG0009E","message":"The image was not found."}"#)
            }
            lock.withLock { deleted.append(reference) }
            return Self.json(200, #"{"Untagged":["\#(reference)"]}"#)
        }
        return Self.json(404, #"{"message":"not found"}"#)
    }

    private static func decodeComponent(_ text: String) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    private static func decodeForm(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let name = decodeComponent(parts[0]), let value = decodeComponent(parts[1]) else {
                continue
            }
            fields[name] = value
        }
        return fields
    }

    private static func json(_ status: Int, _ text: String) -> HTTPTestServer.Action {
        .respond(status: status, headers: [("Content-Type", "application/json")], body: Data(text.utf8))
    }
}
