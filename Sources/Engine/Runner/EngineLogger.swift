/// How much a log message matters.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug, info, warning, error

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where log messages go: the terminal, a file, or memory in tests.
public protocol EngineLogHandler: Sendable {
    func log(level: LogLevel, message: String, metadata: [String: String])
}

/// A value-type logger that carries metadata (dotted keys: `step.id`, `step.attempt`) to its handler.
///
/// Messages and metadata must never hold secrets: they may be printed or written to files.
public struct EngineLogger: Sendable {
    public var handler: any EngineLogHandler
    /// Messages below this level are dropped before they are built.
    public var minimumLevel: LogLevel
    public var metadata: [String: String]

    public init(handler: any EngineLogHandler, minimumLevel: LogLevel = .info, metadata: [String: String] = [:]) {
        self.handler = handler
        self.minimumLevel = minimumLevel
        self.metadata = metadata
    }

    /// A logger that drops everything.
    public static var discarding: EngineLogger {
        EngineLogger(handler: DiscardingLogHandler(), minimumLevel: .error)
    }

    /// This logger with `value` added under `key` for every later message.
    public func with(_ key: String, _ value: String) -> EngineLogger {
        var copy = self
        copy.metadata[key] = value
        return copy
    }

    public func log(
        _ level: LogLevel, _ message: @autoclosure () -> String, _ extra: [String: String] = [:]
    ) {
        guard level >= minimumLevel else { return }
        handler.log(level: level, message: message(), metadata: metadata.merging(extra) { $1 })
    }

    public func debug(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) {
        log(.debug, message(), extra)
    }

    public func info(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) {
        log(.info, message(), extra)
    }

    public func warning(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) {
        log(.warning, message(), extra)
    }

    public func error(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) {
        log(.error, message(), extra)
    }
}

private struct DiscardingLogHandler: EngineLogHandler {
    func log(level: LogLevel, message: String, metadata: [String: String]) {}
}
