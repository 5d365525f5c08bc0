/// Token scopes, as docker's token protocol spells them.
enum Scope {
    static func pull(_ repository: String) -> String { "repository:\(repository):pull" }
    /// Writing and deleting: docker-registry wants push for DELETE too.
    static func push(_ repository: String) -> String { "repository:\(repository):push,pull" }
    static let catalog = "registry:catalog:*"
}
