import Dispatch
import Foundation

/// Unix signals as an async sequence, received through Dispatch signal sources.
///
/// Making the sequence sets the default action of its signals to ignored (so SIGINT no longer
/// kills the process) and starts receiving them; iterate it once. When the iteration ends (the
/// loop breaks or its task is cancelled), the default actions come back.
public struct UnixSignals: AsyncSequence, Sendable {
    public typealias Element = Int32

    /// The signals that ask a runner to shut down.
    public static let shutdownSignals: [Int32] = [SIGINT, SIGTERM]

    private let stream: AsyncStream<Int32>

    public init(_ signals: [Int32] = UnixSignals.shutdownSignals) {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        let queue = DispatchQueue(label: "ocibatch.unix-signals")
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            // Ignore first, so that the signal cannot kill us between the two calls.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        let installed = SignalSources(sources)
        continuation.onTermination = { _ in
            installed.cancel()
            for number in signals { signal(number, SIG_DFL) }
        }
        self.stream = stream
    }

    public func makeAsyncIterator() -> AsyncStream<Int32>.Iterator {
        stream.makeAsyncIterator()
    }
}

/// Dispatch sources are thread-safe; this box only lets the termination handler hold them.
private final class SignalSources: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(_ sources: [any DispatchSourceSignal]) {
        self.sources = sources
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
