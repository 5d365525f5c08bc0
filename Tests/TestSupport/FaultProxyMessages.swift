import Foundation

/// A request head as `FaultProxy` read it from the client.
struct FaultProxyRequest {
    let method: String
    let target: String
    let headers: [(name: String, value: String)]

    /// Headers the proxy sets itself, or that describe the client's hop only.
    private static let hopHeaders: Set<String> = [
        "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "content-length", "expect", "te",
    ]

    init?(head: String) {
        var lines = head.components(separatedBy: "\r\n")
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else { return nil }
        method = String(requestLine[0])
        target = String(requestLine[1])
        guard let headers = Self.headerFields(lines) else { return nil }
        self.headers = headers
    }

    /// `Name: value` lines, or nil when one has no colon.
    static func headerFields(_ lines: [String]) -> [(name: String, value: String)]? {
        var fields: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields.append((name: String(line[..<colon]), value: value))
        }
        return fields
    }

    var path: String { String(target.prefix { $0 != "?" }) }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name }?.value
    }

    var isChunked: Bool { header("transfer-encoding")?.lowercased() == "chunked" }

    /// The declared body length (nil for chunked bodies).
    var contentLength: Int? { isChunked ? nil : header("content-length").flatMap(Int.init) }

    /// The whole body (de-chunked), or nil when the client went away.
    func readBody(from connection: HTTPTestConnection) -> Data? {
        var body = Data()
        if isChunked {
            guard connection.readChunkedBody({ body.append($0) }) else { return nil }
        } else if let length = contentLength, length > 0 {
            guard connection.readBody(length: length, { body.append($0) }) else { return nil }
        }
        return body
    }

    /// The head sent to the registry: its own `Host`, a plain length, one request per connection.
    func upstreamHead(host: String, contentLength: Int) -> String {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers where !Self.hopHeaders.contains(name.lowercased()) {
            head += "\(name): \(value)\r\n"
        }
        if contentLength > 0 || ["POST", "PUT", "PATCH"].contains(method) {
            head += "Content-Length: \(contentLength)\r\n"
        }
        return head + "Connection: close\r\n\r\n"
    }
}

/// The registry's whole answer to one forwarded request.
struct FaultProxyResponse {
    let statusLine: String
    let status: Int
    let headers: [(name: String, value: String)]
    var body: Data

    private static let hopHeaders: Set<String> = ["connection", "keep-alive", "transfer-encoding", "content-length"]

    /// Reads an answer: by length, chunked, or up to the close.
    static func read(from connection: HTTPTestConnection, requestMethod: String) -> FaultProxyResponse? {
        guard let head = connection.readHead(), !head.isEmpty else { return nil }
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        guard let headers = FaultProxyRequest.headerFields(lines) else { return nil }
        let find = { (name: String) in headers.first { $0.name.lowercased() == name }?.value }
        var body = Data()
        if requestMethod != "HEAD", status != 204, status != 304, status >= 200 {
            if find("transfer-encoding")?.lowercased() == "chunked" {
                guard connection.readChunkedBody({ body.append($0) }) else { return nil }
            } else if let length = find("content-length").flatMap(Int.init) {
                guard connection.readBody(length: length, { body.append($0) }) else { return nil }
            } else {
                // Delimited by the close: reading "to the end" fails only once everything is in.
                _ = connection.readBody(length: Int.max) { body.append($0) }
            }
        }
        return FaultProxyResponse(statusLine: statusLine, status: status, headers: headers, body: body)
    }

    /// The head for the client: `Location` moved from the registry to the proxy; for a HEAD, the
    /// registry's own `Content-Length`, else the length of `body`.
    func head(rewritingLocationFrom upstream: String, to proxy: String, isHead: Bool) -> String {
        var head = statusLine + "\r\n"
        for (name, value) in headers where !Self.hopHeaders.contains(name.lowercased()) {
            if name.lowercased() == "location" {
                head +=
                    "\(name): \(value.replacingOccurrences(of: "//" + upstream + "/", with: "//" + proxy + "/"))\r\n"
            } else {
                head += "\(name): \(value)\r\n"
            }
        }
        let length =
            isHead ? headers.first { $0.name.lowercased() == "content-length" }?.value ?? "0" : String(body.count)
        return head + "Content-Length: \(length)\r\n\r\n"
    }
}
