import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The POSIX socket calls `FaultProxy` needs beyond `HTTPTestConnection`.
enum FaultProxySocket {
    /// A listening socket on an ephemeral port of 127.0.0.1, and the port.
    static func listen() throws -> (Int32, Int) {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw HTTPTestServerError.socket("socket", errno) }
        var yes: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(socketFD, 128) == 0 else {
            let code = errno
            close(socketFD)
            throw HTTPTestServerError.socket("bind/listen", code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        return (socketFD, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A connected socket to 127.0.0.1:`port`, or nil.
    static func connect(port: UInt16) -> Int32? {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { return nil }
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socketFD)
            return nil
        }
        return socketFD
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return address
    }

    /// Blocking reads and writes give up after `seconds`, so no thread waits forever on a silent peer.
    static func setTimeouts(_ socketFD: Int32, seconds: Int) {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socketFD, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Makes the coming `close` send a TCP reset instead of a FIN.
    static func resetOnClose(_ socketFD: Int32) {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    static func resetAndClose(_ socketFD: Int32) {
        resetOnClose(socketFD)
        close(socketFD)
    }

    /// Resets a socket another thread owns: its blocked reads return and its close sends a reset.
    static func abort(_ socketFD: Int32) {
        resetOnClose(socketFD)
        shutdown(socketFD, Int32(SHUT_RDWR))
    }

    /// Waits up to `limit` for the peer to close; true when it did (or the proxy stopped).
    static func waitForPeerClose(_ socketFD: Int32, limit: Duration, stopped: () -> Bool) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        var byte: UInt8 = 0
        while clock.now < deadline {
            if stopped() { return true }
            var descriptor = pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 20) >= 0 else { return true }
            if descriptor.revents & Int16(POLLERR | POLLHUP) != 0 { return true }
            if descriptor.revents & Int16(POLLIN) != 0, recv(socketFD, &byte, 1, Int32(MSG_PEEK)) <= 0 {
                return true
            }
        }
        return false
    }
}
