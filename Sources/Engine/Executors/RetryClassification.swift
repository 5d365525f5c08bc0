import HTTPClient
import ImageTransports
import Registry

// The runner retries only errors that say they may pass. Registry and HTTP errors know (a 503, a
// timeout, a dropped connection); a file that failed to write may work next time; a bad input or a
// malformed manifest never will, so those stay permanent.

extension RegistryError: RetryClassifiable {}

extension HTTPClientError: RetryClassifiable {}

extension TransportError: RetryClassifiable {
    public var isRetryable: Bool { kind == .failed }
}

extension StepFailureClassifier {
    /// How plan runs class step failures: as `standard`, except that bytes from a registry that do
    /// not match their digest are tried again as a whole step. Corruption in transit passes; every
    /// attempt verifies again, so nothing corrupt is ever written, and a registry that keeps serving
    /// bad bytes exhausts the step's attempts. (A corrupt file in a layout is a `TransportError`
    /// and stays permanent.)
    public static let engine = StepFailureClassifier { error in
        if let error = error as? RegistryError, error.kind == .digestMismatch { return .retryable(retryAfter: nil) }
        return StepFailureClassifier.standard.classify(error)
    }
}
