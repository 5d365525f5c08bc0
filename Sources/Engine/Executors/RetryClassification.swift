import HTTPClient
import ImageTransports
import Registry

// The runner retries only errors that say they may pass. Registry and HTTP errors know (a 503, a
// timeout, a dropped connection); a file that failed to write may work next time; a bad input,
// a digest mismatch or a malformed manifest never will, so those stay permanent.

extension RegistryError: RetryClassifiable {}

extension HTTPClientError: RetryClassifiable {}

extension TransportError: RetryClassifiable {
    public var isRetryable: Bool { kind == .failed }
}
