/// Token scopes, as docker's token protocol spells them.
enum Scope {
    static func pull(_ repository: String) -> String { "repository:\(repository):pull" }
    /// Writing and deleting: docker-registry wants push for DELETE too.
    static func push(_ repository: String) -> String { "repository:\(repository):push,pull" }
    /// Reading: with the push scope when the read prepares a write, so one token serves both.
    static func read(_ repository: String, forPush: Bool) -> String { forPush ? push(repository) : pull(repository) }
    static let catalog = "registry:catalog:*"
}

extension Scope {
    /// True when every scope in `challenge` (space-separated, as a registry's challenge names
    /// them) is granted by one of `requested`: same resource, actions a subset.
    static func covers(_ requested: [String], _ challenge: String) -> Bool {
        challenge.split(separator: " ").allSatisfy { wanted in
            guard let needed = parse(String(wanted)) else { return false }
            return requested.contains { have in
                guard let granted = parse(have) else { return false }
                return granted.resource == needed.resource && needed.actions.isSubset(of: granted.actions)
            }
        }
    }

    /// `type:name:actions` → (`type:name`, actions); the name may itself contain colons (a port).
    private static func parse(_ scope: String) -> (resource: String, actions: Set<Substring>)? {
        guard let lastColon = scope.lastIndex(of: ":") else { return nil }
        return (String(scope[..<lastColon]), Set(scope[scope.index(after: lastColon)...].split(separator: ",")))
    }
}
