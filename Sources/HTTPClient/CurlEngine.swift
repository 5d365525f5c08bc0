import CCurl
import Foundation

/// Drives every transfer of one client from a single dedicated thread with curl's multi interface.
///
/// Other threads never touch curl handles: they queue work (`submit`, `cancel`, `resume`) under
/// `lock` and wake the thread with `curl_multi_wakeup`. Connections stay in the multi handle's
/// cache between requests, so sequential requests to a host reuse them.
final class CurlEngine: @unchecked Sendable {
    let statistics = StatisticsRecorder()
    private let configuration: HTTPClientConfiguration
    private let multi: UnsafeMutableRawPointer?

    private let lock = NSLock()
    private var submitted: [Transfer] = []
    private var cancelRequests: [Transfer] = []
    private var resumeRequests: [Transfer] = []
    private var stopping = false
    /// Set (under `lock`) once the thread has freed the multi handle: nobody may touch it after.
    private var exited = false
    private let threadRunning = DispatchGroup()

    // Engine thread only.
    private var waiting: [Transfer] = []
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]

    private static let globalInit: CURLcode = ocb_global_init()
    private static let threadName = "ocibatch-curl"

    init(configuration: HTTPClientConfiguration) {
        self.configuration = configuration
        multi = Self.globalInit == CURLE_OK ? curl_multi_init() : nil
        guard let multi else { return }
        _ = ocb_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)
        _ = ocb_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(16, configuration.maxConcurrentTransfers * 2))
        threadRunning.enter()
        let thread = Thread { [self] in
            defer { threadRunning.leave() }
            guard let multi = self.multi else { return }
            run(multi)
        }
        thread.name = Self.threadName
        thread.start()
    }

    // MARK: Any thread

    func submit(_ transfer: Transfer) {
        let refused = lock.withLock { () -> Bool in
            guard !stopping, multi != nil else { return true }
            submitted.append(transfer)
            statistics.update { $0.queued += 1 }
            return false
        }
        if refused {
            transfer.conclude(error: transfer.failure(.cancelled, "the HTTP client is shut down"), effectiveURL: "")
            return
        }
        wake()
    }

    func cancel(_ transfer: Transfer) {
        guard transfer.markCancelled() else { return }
        lock.withLock { cancelRequests.append(transfer) }
        wake()
    }

    /// Asks the thread to unpause `transfer`: its body source has bytes, or its reader has room.
    func resume(_ transfer: Transfer) {
        lock.withLock { resumeRequests.append(transfer) }
        wake()
    }

    /// Fails every transfer and stops the thread.
    /// Waits (a few seconds at most) for the thread to finish, so that a process can exit right
    /// after without libcurl and OpenSSL being torn down under a running transfer.
    func shutdown() {
        lock.withLock { stopping = true }
        wake()
        guard Thread.current.name != Self.threadName else { return }
        _ = threadRunning.wait(timeout: .now() + .seconds(5))
    }

    private func wake() {
        lock.withLock {
            if !exited, let multi { _ = curl_multi_wakeup(multi) }
        }
    }

    // MARK: Engine thread

    private func run(_ multi: UnsafeMutableRawPointer) {
        while true {
            let (new, cancels, resumes, stop) = lock.withLock {
                defer {
                    submitted = []
                    cancelRequests = []
                    resumeRequests = []
                }
                return (submitted, cancelRequests, resumeRequests, stopping)
            }
            waiting.append(contentsOf: new)
            if stop {
                let shutDown = { (transfer: Transfer) in transfer.failure(.cancelled, "the HTTP client was shut down") }
                for transfer in waiting { finish(transfer, multi: multi, error: shutDown(transfer)) }
                for transfer in active.values { finish(transfer, multi: multi, error: shutDown(transfer)) }
                waiting = []
                lock.withLock { exited = true }
                curl_multi_cleanup(multi)
                return
            }
            for transfer in cancels { finish(transfer, multi: multi, error: CancellationError()) }
            startWaiting(multi)
            for transfer in resumes {
                if let easy = transfer.easy, active[easy] != nil { _ = ocb_unpause(easy) }
            }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectFinished(multi)
            startWaiting(multi)
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }

    private func startWaiting(_ multi: UnsafeMutableRawPointer) {
        while active.count < configuration.maxConcurrentTransfers, !waiting.isEmpty {
            let transfer = waiting.removeFirst()
            statistics.update { $0.queued -= 1 }
            if transfer.isCancelled {
                transfer.conclude(error: CancellationError(), effectiveURL: transfer.url)
                continue
            }
            guard let easy = curl_easy_init() else {
                transfer.conclude(
                    error: transfer.failure(.transferFailed, "libcurl could not make a handle"), effectiveURL: "")
                continue
            }
            transfer.easy = easy
            let added =
                CurlOptions.apply(to: transfer, easy: easy)
                && curl_multi_add_handle(multi, easy) == CURLM_OK
            guard added else {
                transfer.conclude(
                    error: transfer.failure(.invalidRequest, "libcurl refused the request's options"),
                    effectiveURL: transfer.url)
                release(transfer)
                continue
            }
            active[easy] = transfer
            statistics.update {
                $0.requestsStarted += 1
                $0.inFlight = active.count
                $0.peakInFlight = max($0.peakInFlight, active.count)
            }
        }
    }

    private func collectFinished(_ multi: UnsafeMutableRawPointer) {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                let transfer = active[easy]
            else { continue }
            let result = message.pointee.data.result
            finish(transfer, multi: multi, error: result == CURLE_OK ? nil : transfer.error(forCurlCode: result))
        }
    }

    /// Takes `transfer` out of curl (if it is in) and reports its outcome.
    private func finish(_ transfer: Transfer, multi: UnsafeMutableRawPointer, error: (any Error)?) {
        if let index = waiting.firstIndex(where: { $0 === transfer }) {
            waiting.remove(at: index)
            statistics.update { $0.queued -= 1 }
        }
        let effectiveURL = transfer.effectiveURL()
        if let easy = transfer.easy, active.removeValue(forKey: easy) != nil {
            _ = curl_multi_remove_handle(multi, easy)
            statistics.update { $0.inFlight = active.count }
        }
        transfer.conclude(error: error, effectiveURL: effectiveURL)
        release(transfer)
    }

    private func release(_ transfer: Transfer) {
        if let easy = transfer.easy { curl_easy_cleanup(easy) }
        transfer.easy = nil
        if let list = transfer.headerList { curl_slist_free_all(list) }
        transfer.headerList = nil
    }
}
