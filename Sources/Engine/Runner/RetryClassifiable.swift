/// An error that knows whether trying again may help. HTTP and registry errors conform; errors
/// that do not are treated as permanent.
public protocol RetryClassifiable: Error {
    /// Whether the same step may succeed if run again (a timeout, a 503, a dropped connection).
    var isRetryable: Bool { get }
    /// How long the server asked us to wait (`Retry-After`), if it said.
    var retryAfter: Duration? { get }
}

extension RetryClassifiable {
    public var retryAfter: Duration? { nil }
}

/// A step that refuses to act because acting would be wrong, e.g. "the tag moved since planning".
/// It ends the step as `failed` at once; running it again would refuse again.
public struct StepRefusal: RetryClassifiable, CustomStringConvertible, Sendable, Equatable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var isRetryable: Bool { false }
    public var description: String { reason }
}

/// What to do about an error a step executor threw.
public enum StepFailureClass: Sendable, Equatable {
    /// Try again later, not before `retryAfter` if the server named a time.
    case retryable(retryAfter: Duration?)
    /// Never try again: the step is `failed`.
    case permanent
}

/// Sorts executor errors into retryable and permanent ones.
public struct StepFailureClassifier: Sendable {
    private let classifyError: @Sendable (any Error) -> StepFailureClass

    public init(_ classify: @escaping @Sendable (any Error) -> StepFailureClass) {
        self.classifyError = classify
    }

    /// `RetryClassifiable` errors say for themselves; every other error is permanent, because
    /// retrying a mistake we do not understand only repeats it more slowly.
    public static let standard = StepFailureClassifier { error in
        guard let error = error as? any RetryClassifiable, error.isRetryable else { return .permanent }
        return .retryable(retryAfter: error.retryAfter)
    }

    public func classify(_ error: any Error) -> StepFailureClass {
        classifyError(error)
    }
}
