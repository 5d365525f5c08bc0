import ByteStreams
import CCurl
import Foundation

/// One request on its way through curl: its settings, its easy handle and what has come back.
///
/// The easy handle and the response fields are touched only on the engine's thread; the caller's
/// continuation and the cancellation flag are guarded by `lock`.
final class Transfer: @unchecked Sendable {
    let method: HTTPMethod
    let url: String
    let headers: HTTPHeaders
    let uploadLength: Int64?
    let uploads: Bool
    let mode: HTTPResponseBodyMode
    let options: HTTPTransferOptions
    let userAgent: String
    let statistics: StatisticsRecorder
    var feeder: RequestBodyFeeder?
    var stream: ResponseBodyStream?

    // Engine thread only.
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    let errorBuffer: UnsafeMutablePointer<CChar>
    var status = 0
    var responseHeaders = HTTPHeaders()
    var headersComplete = false
    var collected = Data()
    var abortError: HTTPClientError?

    private let lock = NSLock()
    private var continuation: CheckedContinuation<HTTPResponse, any Error>?
    private var cancelled = false
    private var completed = false

    init(
        request: HTTPRequest, options: HTTPTransferOptions, userAgent: String, statistics: StatisticsRecorder
    ) throws(HTTPClientError) {
        self.statistics = statistics
        method = request.method
        url = request.url.absoluteString
        headers = request.headers
        mode = request.response
        self.options = options
        self.userAgent = userAgent
        uploadLength = request.body.knownLength
        switch (request.body, request.method) {
        case (.none, .get), (.none, .head), (.none, .delete): uploads = false
        default: uploads = true
        }
        errorBuffer = .allocate(capacity: Int(ocb_error_size()) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(ocb_error_size()) + 1)
        try validate(request)
    }

    deinit {
        errorBuffer.deallocate()
    }

    func failure(_ code: HTTPClientError.Code, _ detail: String, curlCode: Int? = nil, underlying: (any Error)? = nil)
        -> HTTPClientError
    {
        HTTPClientError(
            code: code, method: method, url: url, detail: detail, curlCode: curlCode, underlying: underlying)
    }

    private func validate(_ request: HTTPRequest) throws(HTTPClientError) {
        let scheme = request.url.scheme?.lowercased()
        guard scheme == "http" || scheme == "https", request.url.host != nil else {
            throw failure(.invalidURL, "only absolute http and https URLs are supported")
        }
        // Bytes, not Characters: "\r\n" is a single Character.
        let breaksLine = { (byte: UInt8) in byte == 13 || byte == 10 || byte == 0 }
        for (name, value) in request.headers {
            guard !name.isEmpty, !name.utf8.contains(where: { breaksLine($0) || $0 == 58 || $0 == 32 }) else {
                throw failure(.invalidRequest, "header name '\(name)' is not a valid token")
            }
            guard !value.utf8.contains(where: breaksLine) else {
                throw failure(.invalidRequest, "header '\(name)' has a line break in its value")
            }
        }
        if case .stream(let bufferSize) = request.response, bufferSize < 1 {
            throw failure(.invalidRequest, "stream buffer size must be positive")
        }
        if case .collect(let limit) = request.response, limit < 0 {
            throw failure(.invalidRequest, "collect limit must not be negative")
        }
    }

    // MARK: Caller side

    /// Registers the caller; false when the request was cancelled before it could start.
    func attach(_ continuation: CheckedContinuation<HTTPResponse, any Error>) -> Bool {
        let alreadyCancelled = lock.withLock { () -> Bool in
            if cancelled { return true }
            self.continuation = continuation
            return false
        }
        if alreadyCancelled { continuation.resume(throwing: CancellationError()) }
        return !alreadyCancelled
    }

    /// Marks the transfer cancelled; true the first time.
    func markCancelled() -> Bool {
        lock.withLock {
            defer { cancelled = true }
            return !cancelled && !completed
        }
    }

    var isCancelled: Bool { lock.withLock { cancelled } }

    // MARK: Engine side

    /// Hands the response to the caller, if it is still waiting.
    func deliver(_ response: HTTPResponse) {
        takeContinuation()?.resume(returning: response)
    }

    /// Ends the transfer: the waiting caller or the stream's reader sees `error` (nil is success).
    func conclude(error: (any Error)?, effectiveURL: String) {
        let waiting = lock.withLock { () -> CheckedContinuation<HTTPResponse, any Error>? in
            completed = true
            defer { continuation = nil }
            return continuation
        }
        if let waiting {
            if let error {
                waiting.resume(throwing: error)
            } else {
                waiting.resume(returning: makeResponse(effectiveURL: effectiveURL))
            }
        }
        stream?.finish(throwing: error.map { $0 is CancellationError ? failure(.cancelled, "cancelled") : $0 })
        feeder?.stop()
    }

    func makeResponse(effectiveURL: String) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: responseHeaders, effectiveURL: effectiveURL, body: collected, stream: stream)
    }

    private func takeContinuation() -> CheckedContinuation<HTTPResponse, any Error>? {
        lock.withLock {
            defer { continuation = nil }
            return continuation
        }
    }

    // MARK: Callbacks (engine thread)

    /// One header line from curl. Returns false to abort the transfer.
    func receiveHeaderLine(_ raw: UnsafeRawBufferPointer) -> Bool {
        let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .newlines)
        if line.hasPrefix("HTTP/") {
            // A new response begins (after a 1xx): only the final one's headers count.
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            responseHeaders = HTTPHeaders()
            headersComplete = false
            return true
        }
        if headersComplete { return true }  // trailers
        if line.isEmpty {
            guard status >= 200 else { return true }
            headersComplete = true
            return headersDidComplete()
        }
        if line.first == " " || line.first == "\t" {
            // An obsolete folded continuation line belongs to the previous field.
            var fields = Array(responseHeaders)
            guard let last = fields.popLast() else { return true }
            fields.append((name: last.name, value: last.value + " " + line.trimmingCharacters(in: .whitespaces)))
            responseHeaders = HTTPHeaders(fields)
            return true
        }
        guard let colon = line.firstIndex(of: ":") else { return true }
        let name = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
        let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        responseHeaders.add(name: name, value: value)
        return true
    }

    private func headersDidComplete() -> Bool {
        if case .collect(let limit) = mode, method != .head,
            let declared = responseHeaders["Content-Length"].flatMap(Int64.init), declared > Int64(limit)
        {
            abortError = failure(
                .bodyTooLarge, "the response declares \(declared) bytes, more than the limit of \(limit)")
            return false
        }
        if case .stream = mode {
            deliver(makeResponse(effectiveURL: effectiveURL()))
        }
        return true
    }

    func effectiveURL() -> String {
        guard let easy else { return url }
        var pointer: UnsafeMutablePointer<CChar>?
        guard ocb_getinfo_str(easy, CURLINFO_EFFECTIVE_URL, &pointer) == CURLE_OK, let pointer else { return url }
        return String(cString: pointer)
    }

    enum WriteOutcome {
        case accepted
        case pause
        case abort
    }

    /// Response body bytes from curl.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> WriteOutcome {
        switch mode {
        case .discard:
            return .accepted
        case .collect(let limit):
            guard collected.count + bytes.count <= limit else {
                abortError = failure(.bodyTooLarge, "the response body is larger than the limit of \(limit) bytes")
                return .abort
            }
            collected.append(bytes.bindMemory(to: UInt8.self))
            return .accepted
        case .stream:
            guard let stream else { return .accepted }
            return stream.offer(bytes) ? .accepted : .pause
        }
    }

    /// The error to report for curl's result `code`, preferring the reason we aborted for.
    func error(forCurlCode code: CURLcode) -> HTTPClientError {
        if let abortError { return abortError }
        if let source = feeder?.sourceFailure {
            return failure(.bodySourceFailed, "\(source)", curlCode: Int(code.rawValue), underlying: source)
        }
        let explained = String(cString: errorBuffer)
        let detail = explained.isEmpty ? String(cString: curl_easy_strerror(code)) : explained
        return failure(.init(curlCode: Int(code.rawValue)), detail, curlCode: Int(code.rawValue))
    }
}
