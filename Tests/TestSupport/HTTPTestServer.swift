import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for testing the HTTP client against real sockets.
///
/// Each connection has its own thread; requests on a connection are kept alive. A handler picks an
/// `Action` per request. The server counts connections, including the most open at once.
/// Keep it alive with `defer { server.stop() }`: released early, it closes connections under the client.
public final class HTTPTestServer: @unchecked Sendable {
    /// What the server saw of one request. Bodies are hashed while read; only the first MiB is kept.
    public struct Request: Sendable {
        public let method: String
        public let target: String
        public let headers: [(name: String, value: String)]
        public let bodyLength: Int
        public let bodySHA256: String
        public let body: Data
        /// Which accepted connection (numbered from 1) carried the request.
        public let connection: Int

        public var path: String { String(target.prefix { $0 != "?" }) }

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    public indirect enum Action: Sendable {
        /// A complete response; `chunked` sends the body with chunked encoding and no length.
        case respond(status: Int, headers: [(String, String)] = [], body: Data = Data(), chunked: Bool = false)
        /// 200 with the body `"<length> <sha256>"` of the request body.
        case echoBodyDigest
        /// 200 with `length` bytes of `HTTPTestPattern`, pausing `interval` between 64 KiB chunks.
        case pattern(length: Int64, interval: Duration? = nil)
        /// Waits, then does `then`.
        case delayed(Duration, then: Action)
        /// Waits until `count` requests are being answered at once (or 10 s pass), then does `then`.
        case holdUntilConcurrent(Int, then: Action)
        /// Never answers; holds the connection until the client or the server closes it.
        case stall
        /// Sends headers promising `length` bytes, then nothing.
        case stallAfterHeaders(length: Int)
        /// Closes the connection with a TCP reset.
        case reset
        /// A 302 to `location`.
        case redirect(to: String)
    }

    public let port: Int
    private let listener: Int32
    private let handler: @Sendable (Request) -> Action
    private let lock = NSLock()
    private var openSockets: Set<Int32> = []
    private var stopped = false
    private var accepted = 0
    private var peakOpen = 0
    private var received: [Request] = []
    private var answering = 0
    private var peakAnswering = 0

    /// Starts listening on an ephemeral port of 127.0.0.1.
    public init(handler: @escaping @Sendable (Request) -> Action) throws {
        signal(SIGPIPE, SIG_IGN)
        self.handler = handler
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw HTTPTestServerError.socket("socket", errno) }
        var yes: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(socketFD, 128) == 0 else {
            close(socketFD)
            throw HTTPTestServerError.socket("bind/listen", errno)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        listener = socketFD
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "http-test-server-accept"
        thread.start()
    }

    deinit { stop() }

    /// `http://127.0.0.1:<port><path>`.
    public func url(_ path: String, scheme: String = "http") -> URL {
        URL(string: "\(scheme)://127.0.0.1:\(port)\(path)") ?? URL(fileURLWithPath: "/")
    }

    public var connectionsAccepted: Int { lock.withLock { accepted } }
    public var openConnections: Int { lock.withLock { openSockets.count } }
    /// The most connections that were open at the same moment.
    public var maxOpenConnections: Int { lock.withLock { peakOpen } }
    public var requests: [Request] { lock.withLock { received } }
    /// The most requests that were being answered at the same moment.
    public var maxConcurrentRequests: Int { lock.withLock { peakAnswering } }

    /// Closes the listener and every connection.
    public func stop() {
        let sockets = lock.withLock { () -> Set<Int32> in
            if stopped { return [] }
            stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
            return openSockets
        }
        for socketFD in sockets { shutdown(socketFD, Int32(SHUT_RDWR)) }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return
            }
            let number = lock.withLock { () -> Int? in
                if stopped { return nil }
                openSockets.insert(client)
                accepted += 1
                peakOpen = max(peakOpen, openSockets.count)
                return accepted
            }
            guard let number else {
                close(client)
                return
            }
            let thread = Thread { [self] in
                serve(HTTPTestConnection(socket: client), number: number)
                lock.withLock { _ = openSockets.remove(client) }
                close(client)
            }
            thread.name = "http-test-server-connection"
            thread.start()
        }
    }

    private func serve(_ connection: HTTPTestConnection, number: Int) {
        while !isStopped {
            guard let head = connection.readHead() else { return }
            guard let request = parse(head, connection: connection, number: number) else {
                connection.send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            }
            lock.withLock {
                received.append(request)
                answering += 1
                peakAnswering = max(peakAnswering, answering)
            }
            let keepOpen = perform(handler(request), for: request, on: connection)
            lock.withLock { answering -= 1 }
            guard keepOpen else { return }
            if request.header("Connection")?.lowercased() == "close" { return }
        }
    }

    private func parse(_ head: String, connection: HTTPTestConnection, number: Int) -> Request? {
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers.append(
                (
                    name: String(line[..<colon]),
                    value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                ))
        }
        let find = { (name: String) in headers.first { $0.name.lowercased() == name }?.value }
        let hasher = HTTPTestSHA256()
        var kept = Data()
        var total = 0
        let consume = { (chunk: Data) in
            hasher.update(chunk)
            total += chunk.count
            if kept.count < 1 << 20 { kept.append(chunk.prefix((1 << 20) - kept.count)) }
        }
        if find("transfer-encoding")?.lowercased() == "chunked" {
            guard connection.readChunkedBody(consume) else { return nil }
        } else if let length = find("content-length").flatMap(Int.init) {
            guard connection.readBody(length: length, consume) else { return nil }
        }
        return Request(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, bodyLength: total,
            bodySHA256: hasher.hexDigest(), body: kept, connection: number)
    }

    /// Carries out `action`; false when the connection must close.
    private func perform(_ action: Action, for request: Request, on connection: HTTPTestConnection) -> Bool {
        let isHead = request.method == "HEAD"
        switch action {
        case .respond(let status, let headers, let body, let chunked):
            var head = "HTTP/1.1 \(status) Status\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: \(body.count)\r\n\r\n"
            guard connection.send(head) else { return false }
            if isHead { return true }
            guard chunked else { return connection.send(body) }
            var offset = 0
            while offset < body.count {
                let piece = body[(body.startIndex + offset)..<(body.startIndex + min(body.count, offset + 4096))]
                guard connection.send(String(piece.count, radix: 16) + "\r\n"), connection.send(Data(piece)),
                    connection.send("\r\n")
                else { return false }
                offset += piece.count
            }
            return connection.send("0\r\n\r\n")
        case .echoBodyDigest:
            let body = Data("\(request.bodyLength) \(request.bodySHA256)".utf8)
            return perform(.respond(status: 200, body: body), for: request, on: connection)
        case .pattern(let length, let interval):
            guard connection.send("HTTP/1.1 200 OK\r\nContent-Length: \(length)\r\n\r\n") else { return false }
            if isHead { return true }
            for index in 0..<HTTPTestPattern.chunkCount(length: length) {
                if let interval, index > 0 { Thread.sleep(forTimeInterval: interval.seconds) }
                guard connection.send(HTTPTestPattern.chunk(index, length: length)) else { return false }
            }
            return true
        case .delayed(let delay, let then):
            Thread.sleep(forTimeInterval: delay.seconds)
            return perform(then, for: request, on: connection)
        case .holdUntilConcurrent(let count, let then):
            let deadline = Date().addingTimeInterval(10)
            // The peak, not the current count: the gate stays open once every request has arrived.
            while lock.withLock({ peakAnswering < count && !stopped }), Date() < deadline {
                Thread.sleep(forTimeInterval: 0.005)
            }
            return perform(then, for: request, on: connection)
        case .stall:
            connection.waitForClose(stopped: { [self] in isStopped })
            return false
        case .stallAfterHeaders(let length):
            _ = connection.send("HTTP/1.1 200 OK\r\nContent-Length: \(length)\r\n\r\n")
            connection.waitForClose(stopped: { [self] in isStopped })
            return false
        case .reset:
            connection.resetOnClose()
            return false
        case .redirect(let location):
            return perform(.respond(status: 302, headers: [("Location", location)]), for: request, on: connection)
        }
    }
}

public enum HTTPTestServerError: Error, CustomStringConvertible {
    case socket(String, Int32)
    case tls(String)

    public var description: String {
        switch self {
        case .socket(let call, let code): "test server \(call) failed: \(String(cString: strerror(code)))"
        case .tls(let problem): "TLS test server: \(problem)"
        }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
