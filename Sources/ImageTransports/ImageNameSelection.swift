import OCI

/// How the name after `oci:DIR:` or `docker-archive:FILE:` picks one image among named ones.
///
/// Rules, tried in order; the first that matches anything decides:
/// 1. a name equal to the one asked for (`v1`, `example.com/app:v1`);
/// 2. a name that is the same reference once normalised, when both are references rather than bare
///    tags (`foo:v1` is `docker.io/library/foo:v1`, `foo/bar` is `docker.io/foo/bar:latest`), as skopeo
///    compares them;
/// 3. for a bare tag, names whose tag part it is (`v1` answers to `example.com/app:v1`).
///
/// Several different images answering to one name is an error that lists the names, so the user can
/// pick the full one.
enum ImageNameSelection {
    /// The candidate `wanted` names, or nil when it names none; throws when it names several
    /// different ones (by `identity`). `container` prefixes the message (the file and the list it read).
    static func choose<Candidate, Identity: Hashable>(
        _ wanted: String, among candidates: [Candidate], names: (Candidate) -> [String],
        identity: (Candidate) -> Identity, container: String
    ) throws -> Candidate? {
        let matched = matches(wanted, among: candidates, names: names)
        guard let first = matched.first else { return nil }
        let identities = Set(matched.map { identity($0.candidate) })
        guard identities.count == 1 else {
            let listed = Array(Set(matched.map(\.name))).sorted().joined(separator: ", ")
            throw TransportError.invalid(
                "\(container): \"\(wanted)\" names \(identities.count) different images (\(listed)); give the full name"
            )
        }
        return first.candidate
    }

    /// Every candidate with the name that matched, from the first rule that matches anything.
    static func matches<Candidate>(
        _ wanted: String, among candidates: [Candidate], names: (Candidate) -> [String]
    ) -> [(candidate: Candidate, name: String)] {
        func matching(_ rule: (String) -> Bool) -> [(candidate: Candidate, name: String)] {
            candidates.compactMap { candidate in
                names(candidate).first(where: rule).map { (candidate, $0) }
            }
        }
        let exact = matching { $0 == wanted }
        if !exact.isEmpty { return exact }
        if isBareTag(wanted) { return matching { !isBareTag($0) && tagPart(of: $0) == wanted } }
        guard let reference = normalised(wanted) else { return [] }
        return matching { !isBareTag($0) && normalised($0) == reference }
    }

    /// A name with neither repository nor registry: `v1`.
    static func isBareTag(_ name: String) -> Bool { !name.contains(":") && !name.contains("/") }

    /// The tag of `repo:tag`; the name itself when it has no tag part.
    static func tagPart(of name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        let tail = name[name.index(after: colon)...]
        return tail.contains("/") ? name : String(tail)
    }

    /// Registry, repository, tag (`latest` when none) and digest after Docker Hub normalisation.
    private static func normalised(_ name: String) -> String? {
        guard let reference = try? Reference(parsing: name) else { return nil }
        let tag = reference.tag ?? (reference.digest == nil ? "latest" : "")
        return "\(reference.name):\(tag)@\(reference.digest?.description ?? "")"
    }
}
