import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 proxy on 127.0.0.1 in front of a real registry that injects faults by a `FaultSchedule`.
///
/// Clients address the proxy as if it were the registry; it forwards each request on a fresh
/// connection with the registry's `Host`, and rewrites `Location` headers that name the registry so
/// upload sessions keep going through it. Every request and every fault is logged, so tests can
/// prove the faults they survived really happened. Each connection has its own thread; at most
/// `maxConnections` are open at once (more are reset). `stop()` (or release) closes everything.
public final class FaultProxy: @unchecked Sendable {
    /// One request the proxy saw, what it injected and what the registry answered.
    public struct Exchange: Sendable, CustomStringConvertible {
        /// Numbered from 1 in arrival order.
        public let number: Int
        public let method: String
        /// The path, without the query.
        public let path: String
        public let fault: FaultKind?
        /// The registry's status, when the request reached it and it answered.
        public let upstreamStatus: Int?
        /// True when the proxy was down and reset the request.
        public let refusedWhileDown: Bool

        public var description: String {
            let what = refusedWhileDown ? "down" : fault.map { "\($0)" } ?? "clean"
            return "#\(number) \(method) \(path) \(what) \(upstreamStatus.map(String.init) ?? "-")"
        }
    }

    public let port: Int
    /// The registry, `127.0.0.1:PORT`.
    public let upstream: String
    public let maxConnections: Int
    private let upstreamPort: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var currentSchedule: FaultSchedule
    private var down = false
    private var stopped = false
    private var openSockets: Set<Int32> = []
    private var requestCount = 0
    private var log: [Exchange] = []
    private var occurrences: [String: Int] = [:]
    private var consecutive: [String: Int] = [:]
    private var ruleMatches: [Int: Int] = [:]
    private var randomFaults = 0

    /// Starts listening on an ephemeral port; `upstream` is `127.0.0.1:PORT` of a plain-http registry.
    public init(upstream: String, schedule: FaultSchedule = .none, maxConnections: Int = 64) throws {
        guard upstream.hasPrefix("127.0.0.1:"), let upstreamPort = UInt16(upstream.dropFirst(10)) else {
            throw HTTPTestServerError.socket("upstream \(upstream) is not 127.0.0.1:PORT", EINVAL)
        }
        signal(SIGPIPE, SIG_IGN)
        self.upstream = upstream
        self.upstreamPort = upstreamPort
        self.maxConnections = maxConnections
        self.currentSchedule = schedule
        (listener, port) = try FaultProxySocket.listen()
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "fault-proxy-accept"
        thread.start()
    }

    deinit { stop() }

    /// `127.0.0.1:PORT`, to use as the registry's address.
    public var address: String { "127.0.0.1:\(port)" }

    /// The schedule for requests from now on; replacing it restarts scripted occurrence counts.
    public var schedule: FaultSchedule {
        get { lock.withLock { currentSchedule } }
        set {
            lock.withLock {
                currentSchedule = newValue
                ruleMatches = [:]
            }
        }
    }

    /// Every request so far, in arrival order.
    public var exchanges: [Exchange] { lock.withLock { log } }

    /// The faults injected so far, in order.
    public var injections: [Exchange] { exchanges.filter { $0.fault != nil } }

    /// How many of each fault were injected.
    public var counts: [FaultKind: Int] {
        exchanges.reduce(into: [:]) { counts, exchange in
            if let fault = exchange.fault { counts[fault, default: 0] += 1 }
        }
    }

    public func count(_ kind: FaultKind) -> Int { counts[kind] ?? 0 }

    /// Requests reset because the proxy was down.
    public var refusedWhileDown: Int { exchanges.filter(\.refusedWhileDown).count }

    public var isDown: Bool { lock.withLock { down } }

    /// Makes the registry unreachable: open connections are reset, new ones reset as soon as accepted.
    public func takeDown() {
        let sockets = lock.withLock { () -> Set<Int32> in
            down = true
            return openSockets
        }
        for socketFD in sockets { FaultProxySocket.abort(socketFD) }
    }

    /// Forwards again.
    public func bringUp() { lock.withLock { down = false } }

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

    // MARK: Connections

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            enum Admission { case serve, refuse, quit }
            let admission = lock.withLock { () -> Admission in
                if stopped { return .quit }
                if down || openSockets.count >= maxConnections { return .refuse }
                openSockets.insert(client)
                return .serve
            }
            switch admission {
            case .quit:
                close(client)
                return
            case .refuse:
                if isDown { record(method: "-", target: "-", fault: nil, status: nil, refused: true) }
                FaultProxySocket.resetAndClose(client)
            case .serve:
                FaultProxySocket.setTimeouts(client, seconds: 60)
                let thread = Thread { [self] in
                    serve(client)
                    lock.withLock { _ = openSockets.remove(client) }
                    close(client)
                }
                thread.name = "fault-proxy-connection"
                thread.start()
            }
        }
    }

    private func serve(_ client: Int32) {
        let connection = HTTPTestConnection(socket: client)
        while !isStopped {
            guard let head = connection.readHead(), let request = FaultProxyRequest(head: head) else { return }
            guard handle(request, client: client, connection: connection) else { return }
            if request.header("connection")?.lowercased() == "close" { return }
        }
    }

    /// Answers one request, injecting what the schedule says; false when the connection must close.
    private func handle(_ request: FaultProxyRequest, client: Int32, connection: HTTPTestConnection) -> Bool {
        if isDown {
            record(method: request.method, target: request.target, fault: nil, status: nil, refused: true)
            FaultProxySocket.resetOnClose(client)
            return false
        }
        let (fault, schedule) = decide(request)
        if fault == .truncatedUpload, let length = request.contentLength {
            forwardTruncatedUpload(request, length: length, connection: connection)
            record(method: request.method, target: request.target, fault: fault, status: nil)
            FaultProxySocket.resetOnClose(client)
            return false
        }
        guard let body = request.readBody(from: connection) else { return false }
        switch fault {
        case .internalServerError, .badGateway, .serviceUnavailable, .tooManyRequests, .tooManyRequestsWithRetryAfter:
            record(method: request.method, target: request.target, fault: fault, status: nil)
            return connection.send(Self.injectedAnswer(fault, request: request, schedule: schedule))
        case .reset:
            record(method: request.method, target: request.target, fault: fault, status: nil)
            FaultProxySocket.resetOnClose(client)
            return false
        case .stall:
            let clientGone = FaultProxySocket.waitForPeerClose(
                client, limit: schedule.stall ?? .seconds(30), stopped: { [self] in isStopped })
            if clientGone {
                record(method: request.method, target: request.target, fault: fault, status: nil)
                return false
            }
        default:
            break
        }
        guard var response = forward(request, body: body) else {
            record(method: request.method, target: request.target, fault: fault, status: nil)
            FaultProxySocket.resetOnClose(client)
            return false
        }
        record(method: request.method, target: request.target, fault: fault, status: response.status)
        switch fault {
        case .resetAfterForwarding:
            FaultProxySocket.resetOnClose(client)
            return false
        case .truncatedBody where response.body.count >= 2:
            _ = connection.send(response.head(rewritingLocationFrom: upstream, to: address, isHead: false))
            _ = connection.send(response.body.prefix(response.body.count / 2))
            return false
        case .corruptBlob where response.status == 200 && !response.body.isEmpty:
            let offset = Int(FaultRandom.hash(request.target) % UInt64(response.body.count))
            response.body[response.body.startIndex + offset] ^= 0xFF
        default:
            break
        }
        let isHead = request.method == "HEAD"
        guard connection.send(response.head(rewritingLocationFrom: upstream, to: address, isHead: isHead)) else {
            return false
        }
        return isHead || connection.send(response.body)
    }

    /// The fault for `request`, if any: the first matching scripted rule, else a seeded draw.
    private func decide(_ request: FaultProxyRequest) -> (FaultKind?, FaultSchedule) {
        let identity = FaultSchedule.identity(method: request.method, target: request.target)
        let applicable = { (kind: FaultKind) in
            kind.applies(method: request.method, path: request.path, bodyLength: request.contentLength)
        }
        return lock.withLock {
            let schedule = currentSchedule
            occurrences[identity, default: 0] += 1
            let occurrence = occurrences[identity, default: 1]
            for (index, rule) in schedule.rules.enumerated()
            where rule.matches(method: request.method, path: request.path) && applicable(rule.fault) {
                ruleMatches[index, default: 0] += 1
                if rule.occurrences?.contains(ruleMatches[index, default: 1]) ?? true { return (rule.fault, schedule) }
            }
            guard randomFaults < schedule.maxRandomFaults,
                consecutive[identity, default: 0] < schedule.maxConsecutiveFaults,
                let fault = schedule.randomFault(identity: identity, occurrence: occurrence, applicable: applicable)
            else {
                consecutive[identity] = 0
                return (nil, schedule)
            }
            randomFaults += 1
            consecutive[identity, default: 0] += 1
            return (fault, schedule)
        }
    }

    private func record(method: String, target: String, fault: FaultKind?, status: Int?, refused: Bool = false) {
        lock.withLock {
            requestCount += 1
            log.append(
                Exchange(
                    number: requestCount, method: method, path: String(target.prefix { $0 != "?" }), fault: fault,
                    upstreamStatus: status, refusedWhileDown: refused))
        }
    }

    private static func injectedAnswer(_ fault: FaultKind?, request: FaultProxyRequest, schedule: FaultSchedule)
        -> Data
    {
        let (status, reason, code) =
            switch fault {
            case .internalServerError: (500, "Internal Server Error", "UNKNOWN")
            case .badGateway: (502, "Bad Gateway", "UNAVAILABLE")
            case .tooManyRequests, .tooManyRequestsWithRetryAfter: (429, "Too Many Requests", "TOOMANYREQUESTS")
            default: (503, "Service Unavailable", "UNAVAILABLE")
            }
        let body =
            request.method == "HEAD" ? Data() : Data(#"{"errors":[{"code":"\#(code)","message":"injected"}]}"#.utf8)
        var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\n"
        if fault == .tooManyRequestsWithRetryAfter { head += "Retry-After: \(schedule.retryAfterSeconds)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        return Data(head.utf8) + body
    }

    // MARK: Upstream

    /// Sends `request` to the registry on a new connection and reads its whole answer.
    private func forward(_ request: FaultProxyRequest, body: Data) -> FaultProxyResponse? {
        guard let socketFD = openUpstream() else { return nil }
        defer { closeUpstream(socketFD) }
        let connection = HTTPTestConnection(socket: socketFD)
        guard connection.send(request.upstreamHead(host: upstream, contentLength: body.count)),
            body.isEmpty || connection.send(body)
        else { return nil }
        return FaultProxyResponse.read(from: connection, requestMethod: request.method)
    }

    /// Streams the first half of the client's body to the registry, then gives up on both sides.
    private func forwardTruncatedUpload(_ request: FaultProxyRequest, length: Int, connection: HTTPTestConnection) {
        guard let socketFD = openUpstream() else { return }
        defer {
            FaultProxySocket.resetOnClose(socketFD)
            closeUpstream(socketFD)
        }
        let upstreamConnection = HTTPTestConnection(socket: socketFD)
        guard upstreamConnection.send(request.upstreamHead(host: upstream, contentLength: length)) else { return }
        _ = connection.readBody(length: length / 2) { chunk in _ = upstreamConnection.send(chunk) }
    }

    private func openUpstream() -> Int32? {
        guard let socketFD = FaultProxySocket.connect(port: upstreamPort) else { return nil }
        let admitted = lock.withLock { () -> Bool in
            if stopped { return false }
            openSockets.insert(socketFD)
            return true
        }
        guard admitted else {
            close(socketFD)
            return nil
        }
        FaultProxySocket.setTimeouts(socketFD, seconds: 30)
        return socketFD
    }

    private func closeUpstream(_ socketFD: Int32) {
        lock.withLock { _ = openSockets.remove(socketFD) }
        close(socketFD)
    }
}
