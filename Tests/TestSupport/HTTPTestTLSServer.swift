import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTPS server with a fresh self-signed certificate for 127.0.0.1: `openssl s_server -www`,
/// which answers every request with `200` and a status page. For testing TLS settings only.
public final class HTTPTestTLSServer: @unchecked Sendable {
    public let port: Int
    /// The server's certificate, usable as a CA file.
    public let certificatePath: String
    private let directory: URL
    private let process: Process

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("http-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        certificatePath = directory.appendingPathComponent("cert.pem").path
        let keyPath = directory.appendingPathComponent("key.pem").path
        try Self.run([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyPath, "-out", certificatePath,
        ])
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_server", "-accept", "127.0.0.1:0", "-cert", certificatePath, "-key", keyPath, "-www"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // s_server prints "ACCEPT 127.0.0.1:<port>" once it listens.
        var text = ""
        var port: Int?
        while port == nil, case let data = output.fileHandleForReading.availableData, !data.isEmpty {
            text += String(decoding: data, as: UTF8.self)
            port = Self.acceptedPort(in: text)
        }
        guard let port else {
            Self.kill(process)
            throw HTTPTestServerError.tls("openssl s_server did not report its port: \(text)")
        }
        self.port = port
    }

    deinit { stop() }

    public func url(_ path: String) -> URL {
        URL(string: "https://127.0.0.1:\(port)\(path)") ?? URL(fileURLWithPath: "/")
    }

    public func stop() {
        if process.isRunning { Self.kill(process) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// SIGKILL, because the child inherits the test threads' signal mask, in which SIGTERM is blocked.
    private static func kill(_ process: Process) {
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The port of a complete "ACCEPT 127.0.0.1:<port>" line.
    private static func acceptedPort(in text: String) -> Int? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let accept = lines.first { $0.hasPrefix("ACCEPT") }
        return accept?.split(separator: ":").last.flatMap { Int($0) }
    }

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HTTPTestServerError.tls("openssl \(arguments[0]) failed with status \(process.terminationStatus)")
        }
    }
}
