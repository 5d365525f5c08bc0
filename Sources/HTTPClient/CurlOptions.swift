import CCurl
import Foundation

/// Turns a `Transfer` into easy-handle options and routes curl's callbacks back to it.
enum CurlOptions {
    /// Sets every option; false if curl refused one.
    static func apply(to transfer: Transfer, easy: UnsafeMutableRawPointer) -> Bool {
        let options = transfer.options
        let userdata = Unmanaged.passUnretained(transfer).toOpaque()
        var results: [CURLcode] = [
            ocb_setopt_str(easy, CURLOPT_URL, transfer.url),
            ocb_setopt_str(easy, CURLOPT_PROTOCOLS_STR, "http,https"),
            ocb_setopt_long(easy, CURLOPT_NOSIGNAL, 1),
            ocb_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0),
            ocb_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)),
            ocb_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1),
            ocb_setopt_long(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1),
            ocb_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(options.connectTimeout)),
            ocb_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, max(1, options.stallMinimumBytesPerSecond)),
            ocb_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, max(1, seconds(options.stallTimeout))),
            ocb_setopt_long(easy, CURLOPT_TIMEOUT_MS, options.overallTimeout.map(milliseconds) ?? 0),
            ocb_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, options.insecureSkipTLSVerify ? 0 : 1),
            ocb_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, options.insecureSkipTLSVerify ? 0 : 2),
            ocb_setopt_str(easy, CURLOPT_USERAGENT, transfer.userAgent),
            ocb_setopt_ptr(easy, CURLOPT_ERRORBUFFER, transfer.errorBuffer),
            ocb_setopt_header_cb(easy, headerCallback),
            ocb_setopt_ptr(easy, CURLOPT_HEADERDATA, userdata),
            ocb_setopt_write_cb(easy, writeCallback),
            ocb_setopt_ptr(easy, CURLOPT_WRITEDATA, userdata),
        ]
        if transfer.url.lowercased().hasPrefix("https:") {
            // Wait for a possible HTTP/2 connection rather than opening one per request.
            results.append(ocb_setopt_long(easy, CURLOPT_PIPEWAIT, 1))
        }
        if let caFile = options.caFile { results.append(ocb_setopt_str(easy, CURLOPT_CAINFO, caFile)) }

        switch transfer.method {
        case .get: results.append(ocb_setopt_long(easy, CURLOPT_HTTPGET, 1))
        case .head: results.append(ocb_setopt_long(easy, CURLOPT_NOBODY, 1))
        case .put, .post, .patch, .delete: break
        }
        if transfer.uploads {
            results += [
                ocb_setopt_long(easy, CURLOPT_UPLOAD, 1),
                ocb_setopt_off(easy, CURLOPT_INFILESIZE_LARGE, transfer.uploadLength.map(Int.init) ?? -1),
                ocb_setopt_read_cb(easy, readCallback),
                ocb_setopt_ptr(easy, CURLOPT_READDATA, userdata),
            ]
        }
        if transfer.method != .get && transfer.method != .head {
            results.append(ocb_setopt_str(easy, CURLOPT_CUSTOMREQUEST, transfer.method.rawValue))
        }

        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in transfer.headers {
            // curl drops a header written as "Name:"; "Name;" sends it with an empty value.
            list = curl_slist_append(list, value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        // An empty Expect stops curl from waiting for `100 Continue`, which registries do not send.
        list = curl_slist_append(list, "Expect:")
        transfer.headerList = list
        results.append(ocb_setopt_slist(easy, CURLOPT_HTTPHEADER, list))
        return results.allSatisfy { $0 == CURLE_OK }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    private static func seconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds)
    }
}

private func transfer(from userdata: UnsafeMutableRawPointer?) -> Transfer? {
    userdata.map { Unmanaged<Transfer>.fromOpaque($0).takeUnretainedValue() }
}

private let headerCallback: curl_write_callback = { buffer, size, count, userdata in
    let length = size * count
    guard let transfer = transfer(from: userdata) else { return 0 }
    let line = UnsafeRawBufferPointer(start: buffer, count: length)
    return transfer.receiveHeaderLine(line) ? length : 0
}

private let writeCallback: curl_write_callback = { buffer, size, count, userdata in
    let length = size * count
    guard let transfer = transfer(from: userdata) else { return 0 }
    switch transfer.receiveBody(UnsafeRawBufferPointer(start: buffer, count: length)) {
    case .accepted:
        transfer.statistics.update { $0.bytesReceived += Int64(length) }
        return length
    case .pause: return ocb_write_pause()
    case .abort: return 0
    }
}

private let readCallback: curl_read_callback = { buffer, size, count, userdata in
    guard let transfer = transfer(from: userdata), let feeder = transfer.feeder else { return ocb_read_abort() }
    switch feeder.fill(UnsafeMutableRawBufferPointer(start: buffer, count: size * count)) {
    case .bytes(let sent):
        transfer.statistics.update { $0.bytesSent += Int64(sent) }
        return sent
    case .pause: return ocb_read_pause()
    case .end: return 0
    case .abort: return ocb_read_abort()
    }
}
