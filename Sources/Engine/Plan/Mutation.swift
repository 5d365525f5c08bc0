/// Labels (image config) and annotations (manifest or index) that a job sets on the images it writes.
///
/// Keys not named here are kept as they are. Labels go to every platform image, annotations to the
/// top-level manifest or index.
public struct Mutation: Sendable, Hashable {
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(labels: [String: String] = [:], annotations: [String: String] = [:]) {
        self.labels = labels
        self.annotations = annotations
    }

    /// Whether the mutation changes nothing at all.
    public var isEmpty: Bool { labels.isEmpty && annotations.isEmpty }
}
