import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Buffered blocking reads and writes on one accepted socket of `HTTPTestServer`.
final class HTTPTestConnection {
    private let socket: Int32
    private var pending = Data()

    init(socket: Int32) {
        self.socket = socket
    }

    /// Bytes up to the blank line ending a request head, or nil when the peer closed.
    func readHead() -> String? {
        let terminator = Data("\r\n\r\n".utf8)
        while true {
            // Not HTTP (a TLS ClientHello, say): answer at once, as a real server would.
            if let first = pending.first, !(65...90).contains(first) { return "" }
            if let range = pending.range(of: terminator) {
                let head = pending[pending.startIndex..<range.lowerBound]
                pending = Data(pending[range.upperBound...])
                return String(decoding: head, as: UTF8.self)
            }
            guard pending.count < 64 << 10, fill() else { return nil }
        }
    }

    func readBody(length: Int, _ consume: (Data) -> Void) -> Bool {
        var remaining = length
        while remaining > 0 {
            if pending.isEmpty, !fill() { return false }
            let piece = pending.prefix(remaining)
            consume(Data(piece))
            remaining -= piece.count
            pending = Data(pending.dropFirst(piece.count))
        }
        return true
    }

    func readChunkedBody(_ consume: (Data) -> Void) -> Bool {
        while true {
            guard let sizeLine = readLine(), let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                return false
            }
            if size == 0 {
                while let trailer = readLine(), !trailer.isEmpty {}
                return true
            }
            guard readBody(length: size, consume), readLine() == "" else { return false }
        }
    }

    private func readLine() -> String? {
        let terminator = Data("\r\n".utf8)
        while true {
            if let range = pending.range(of: terminator) {
                let line = pending[pending.startIndex..<range.lowerBound]
                pending = Data(pending[range.upperBound...])
                return String(decoding: line, as: UTF8.self)
            }
            guard fill() else { return nil }
        }
    }

    private func fill() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        pending.append(contentsOf: buffer.prefix(count))
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool {
        send(Data(text.utf8))
    }

    @discardableResult
    func send(_ data: Data) -> Bool {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                guard let base = bytes.baseAddress else { return false }
                let sent = Glibc.send(socket, base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0, errno == EINTR { continue }
                guard sent > 0 else { return false }
                offset += sent
            }
            return true
        }
    }

    /// Blocks until the peer closes the connection or `stopped` turns true.
    func waitForClose(stopped: () -> Bool) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped() {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) >= 0 else { return }
            if descriptor.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                if count <= 0 { return }
            }
        }
    }

    /// Makes the coming `close` send a TCP reset instead of a FIN.
    func resetOnClose() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(socket, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }
}
