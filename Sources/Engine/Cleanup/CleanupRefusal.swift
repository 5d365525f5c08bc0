/// A cleanup refused because it would delete every tag of a repository and the plan does not allow it.
public struct CleanupRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the policy decided; a dry run can still print it.
    public let decision: CleanupDecision

    public var description: String {
        let count = decision.entries.count
        return "cleanup of \(decision.repository) refused: the policy would delete all \(count) "
            + "tag\(count == 1 ? "" : "s") of the repository and keep none; if an empty repository is intended, "
            + "set \"allowEmpty\": true in the cleanup job, otherwise add a keep rule"
    }
}
