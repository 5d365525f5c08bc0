/// Which tags of a repository a job takes: those matching `match` (all when absent) and not matching `exclude`.
public struct TagFilter: Sendable, Hashable {
    public var match: TagPattern?
    public var exclude: TagPattern?

    public init(match: TagPattern? = nil, exclude: TagPattern? = nil) {
        self.match = match
        self.exclude = exclude
    }

    /// Every tag.
    public static let all = TagFilter()

    /// Whether the job takes `tag`.
    public func accepts(_ tag: String) -> Bool {
        if let match, !match.matches(tag) { return false }
        if let exclude, exclude.matches(tag) { return false }
        return true
    }
}
