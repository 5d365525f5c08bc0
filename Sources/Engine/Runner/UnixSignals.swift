import Dispatch
import Foundation

/// Unix signals as an async sequence.
///
/// Making the sequence installs a handler for its signals at once (so SIGINT no longer kills the
/// process, and no signal sent after `init` returns is lost); iterate it once. When the iteration
/// ends (the loop breaks or its task is cancelled), the previous handlers come back.
///
/// Dispatch signal sources are not used: on Linux they register asynchronously and rely on
/// signal masks, so a signal arriving early could be dropped or kill the process.
public struct UnixSignals: AsyncSequence, Sendable {
    public typealias Element = Int32

    /// The signals that ask a runner to shut down.
    public static let shutdownSignals: [Int32] = [SIGINT, SIGTERM]

    private let stream: AsyncStream<Int32>

    public init(_ signals: [Int32] = UnixSignals.shutdownSignals) {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        let hub = SignalHub.shared
        let id = hub.subscribe(Set(signals), continuation)
        continuation.onTermination = { _ in hub.unsubscribe(id) }
        self.stream = stream
    }

    public func makeAsyncIterator() -> AsyncStream<Int32>.Iterator {
        stream.makeAsyncIterator()
    }
}

/// The write end of the self-pipe: the one thing the signal handler touches. Set once, before
/// any handler is installed.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// Writes the signal's number into the self-pipe; `write` is async-signal-safe.
private let forwardSignal: @convention(c) (Int32) -> Void = { number in
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(signalPipeWriteEnd, &byte, 1)
}

/// The process-wide side of `UnixSignals`: one handler per signal, a self-pipe read by a Dispatch
/// read source, and the sequences that listen.
private final class SignalHub: @unchecked Sendable {
    static let shared = SignalHub()

    private let lock = NSLock()
    // Guarded by `lock`.
    private var listeners: [Int: (signals: Set<Int32>, continuation: AsyncStream<Int32>.Continuation)] = [:]
    private var previousHandlers: [Int32: sighandler_t?] = [:]
    private var nextID = 0
    private let readSource: (any DispatchSourceRead)?

    private init() {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            readSource = nil
            return
        }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        signalPipeWriteEnd = ends[1]
        let readEnd = ends[0]
        let source = DispatchSource.makeReadSource(
            fileDescriptor: readEnd, queue: DispatchQueue(label: "ocibatch.signals"))
        readSource = source
        source.setEventHandler { [unowned self] in
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                guard count > 0 else { return }
                for byte in buffer.prefix(count) { deliver(Int32(byte)) }
            }
        }
        source.resume()
    }

    func subscribe(_ signals: Set<Int32>, _ continuation: AsyncStream<Int32>.Continuation) -> Int {
        lock.withLock {
            nextID += 1
            listeners[nextID] = (signals, continuation)
            guard readSource != nil else { return nextID }
            for number in signals where previousHandlers[number] == nil {
                previousHandlers[number] = .some(signal(number, forwardSignal))
            }
            return nextID
        }
    }

    func unsubscribe(_ id: Int) {
        lock.withLock {
            guard let removed = listeners.removeValue(forKey: id) else { return }
            let stillWanted = Set(listeners.values.flatMap(\.signals))
            for number in removed.signals.subtracting(stillWanted) {
                guard let previous = previousHandlers.removeValue(forKey: number) else { continue }
                signal(number, previous)
            }
        }
    }

    private func deliver(_ number: Int32) {
        let targets = lock.withLock { listeners.values.filter { $0.signals.contains(number) }.map(\.continuation) }
        for continuation in targets { continuation.yield(number) }
    }
}
