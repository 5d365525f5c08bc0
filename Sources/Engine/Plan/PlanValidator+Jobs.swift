import Foundation
import OCI

extension PlanValidator {
    static let jobKeys = ["id", "copy", "relabel", "delete", "cleanup", "mutate"]
    static let jobKinds = ["copy", "relabel", "delete", "cleanup"]
    static let copyKeys = ["from", "to", "tags", "platforms", "referrers"]
    static let tagFilterKeys = ["match", "exclude"]
    static let mutationKeys = ["labels", "annotations"]
    static let relabelKeys = ["repositories", "tags", "labels", "annotations", "toTag"]
    static let deleteKeys = ["images"]
    static let cleanupKeys = ["repositories", "catalogPrefix", "keep", "delete", "allowEmpty"]
    static let keepKeys = ["last", "match", "tags", "newerThan"]
    static let cleanupDeleteKeys = ["match", "olderThan"]
}

extension ValidationContext {
    mutating func readJobs(_ value: JSONValue, at path: JSONPath) -> [Job] {
        guard let elements = reader.array(value, at: path) else { return [] }
        var jobs: [Job] = []
        var firstIndexOfID: [String: Int] = [:]
        for (index, element) in elements.enumerated() {
            let jobPath = path.element(index)
            guard let object = reader.object(element, at: jobPath, allowed: PlanValidator.jobKeys, required: ["id"])
            else { continue }
            let id = object["id"].flatMap { readJobID($0, at: jobPath.member("id")) }
            if let id {
                if let first = firstIndexOfID[id] {
                    reader.report(jobPath.member("id"), "\"\(id)\" is already the id of \(path.element(first))")
                } else {
                    firstIndexOfID[id] = index
                }
            }
            guard let kind = readJobKind(object, at: jobPath), let id else { continue }
            jobs.append(Job(id: id, kind: kind))
        }
        return jobs
    }

    private mutating func readJobID(_ value: JSONValue, at path: JSONPath) -> String? {
        guard let id = reader.string(value, at: path) else { return nil }
        guard PlanSyntax.isValidName(id, maximumLength: 64) else {
            reader.report(
                path,
                "\"\(id)\" is not a valid job id: use letters, digits, '.', '_' and '-', "
                    + "starting with a letter or digit, at most 64 characters")
            return nil
        }
        return id
    }

    private mutating func readJobKind(_ object: JSONObject, at path: JSONPath) -> JobKind? {
        let kinds = PlanValidator.jobKinds.filter { object[$0] != nil }
        guard kinds.count == 1, let kind = kinds.first, let value = object[kind] else {
            if kinds.isEmpty {
                reader.report(path, "has none of copy, relabel, delete, cleanup; a job needs exactly one")
            } else {
                let listed = kinds.joined(separator: " and ")
                reader.report(path, "has \(listed); a job does exactly one thing, split it into \(kinds.count) jobs")
            }
            return nil
        }
        if kind != "copy", object["mutate"] != nil {
            reader.report(
                path.member("mutate"),
                "applies only to copy jobs; a relabel job sets labels and annotations in its own object")
        }
        let kindPath = path.member(kind)
        switch kind {
        case "copy":
            let mutation = object["mutate"].flatMap { readMutation($0, at: path.member("mutate")) }
            return readCopy(value, at: kindPath, mutation: mutation).map(JobKind.copy)
        case "relabel": return readRelabel(value, at: kindPath).map(JobKind.relabel)
        case "delete": return readDelete(value, at: kindPath).map(JobKind.delete)
        default: return readCleanup(value, at: kindPath).map(JobKind.cleanup)
        }
    }

    // MARK: copy

    private mutating func readCopy(_ value: JSONValue, at path: JSONPath, mutation: Mutation?) -> CopyJob? {
        guard
            let object = reader.object(value, at: path, allowed: PlanValidator.copyKeys, required: ["from", "to"])
        else { return nil }
        let from = object["from"].flatMap { readLocation($0, at: path.member("from")) }
        let to = object["to"].flatMap { readLocation($0, at: path.member("to")) }
        let tags = object["tags"].flatMap { readTagFilter($0, at: path.member("tags")) }
        if tags != nil, let from, !from.isRepository {
            reader.report(
                path.member("tags"), "applies only when from is a whole repository (no tag or digest), not \(from)")
        }
        let platforms = object["platforms"].flatMap { readPlatforms($0, at: path.member("platforms")) }
        let referrers = object["referrers"].flatMap { reader.bool($0, at: path.member("referrers")) }
        if let from { checkSource(from, at: path.member("from")) }
        if let to { checkTarget(to, from: from, at: path.member("to")) }
        guard let from, let to else { return nil }
        return CopyJob(
            from: from, to: to, tags: tags ?? .all, platforms: platforms, referrers: referrers ?? false,
            mutation: mutation)
    }

    private mutating func readLocation(_ value: JSONValue, at path: JSONPath) -> ImageLocation? {
        guard let text = reader.nonEmptyString(value, at: path) else { return nil }
        do {
            return try ImageLocation(parsing: text, relativeTo: files.baseDirectory, homeDirectory: files.homeDirectory)
        } catch {
            reader.report(path, error.description)
            return nil
        }
    }

    private mutating func checkSource(_ from: ImageLocation, at path: JSONPath) {
        switch from {
        case .layout(let directory, _, _):
            if let problem = files.problemWithLayout(directory) { reader.report(path, problem) }
        case .archive(let file, _):
            if let problem = files.problemWithFile(file, what: "the docker archive") { reader.report(path, problem) }
        case .registry, .repository: break
        }
    }

    private mutating func checkTarget(_ to: ImageLocation, from: ImageLocation?, at path: JSONPath) {
        switch to {
        case .archive:
            reader.report(path, "docker-archive: can only be a source; write to oci:DIR or a registry instead")
            return
        case .registry(let reference) where reference.digest != nil:
            reader.report(path, "\"\(reference)\" names a digest; a target names a tag or a repository")
            return
        case .layout(_, _, let digest?):
            reader.report(path, "names the digest \(digest); a target names a tag or a layout directory")
            return
        default: break
        }
        guard let from else { return }
        if from == to {
            reader.report(path, "is the same as from; the job would copy \(from) onto itself")
        } else if from.isRepository, !to.isRepository {
            reader.report(
                path, "names a tag, but from is a whole repository; name a repository so that each tag keeps its name")
        } else if !from.isRepository, to.isRepository, Self.tag(of: from) == nil {
            reader.report(path, "needs a tag: from (\(from)) has no tag to keep")
        }
    }

    /// The tag a single-image source is known by, if any.
    private static func tag(of location: ImageLocation) -> String? {
        switch location {
        case .registry(let reference): reference.tag
        case .repository: nil
        case .layout(_, let tag, _): tag
        case .archive(_, let image): image.flatMap { try? Reference(parsing: $0) }?.tag
        }
    }

    private mutating func readPlatforms(_ value: JSONValue, at path: JSONPath) -> [String]? {
        guard let platforms = reader.stringArray(value, at: path) else { return nil }
        var valid: [String] = []
        for (index, platform) in platforms.enumerated() {
            let parts = platform.split(separator: "/", omittingEmptySubsequences: false)
            let wellFormed =
                (2...3).contains(parts.count)
                && parts.allSatisfy { part in
                    !part.isEmpty
                        && part.unicodeScalars.allSatisfy {
                            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                        }
                }
            if wellFormed {
                valid.append(platform)
            } else {
                reader.report(
                    path.element(index),
                    "\"\(platform)\" is not a platform; expected OS/ARCH[/VARIANT], e.g. linux/arm64/v8")
            }
        }
        return valid
    }

    mutating func readTagFilter(_ value: JSONValue, at path: JSONPath) -> TagFilter? {
        guard let object = reader.object(value, at: path, allowed: PlanValidator.tagFilterKeys) else { return nil }
        return TagFilter(
            match: object["match"].flatMap { reader.pattern($0, at: path.member("match")) },
            exclude: object["exclude"].flatMap { reader.pattern($0, at: path.member("exclude")) })
    }

    private mutating func readMutation(_ value: JSONValue, at path: JSONPath) -> Mutation? {
        guard let object = reader.object(value, at: path, allowed: PlanValidator.mutationKeys) else { return nil }
        let problemsBefore = reader.problems.count
        let mutation = Mutation(
            labels: object["labels"].flatMap { reader.stringMap($0, at: path.member("labels")) } ?? [:],
            annotations: object["annotations"].flatMap { reader.stringMap($0, at: path.member("annotations")) } ?? [:])
        if mutation.isEmpty, reader.problems.count == problemsBefore {
            reader.report(path, "sets no labels and no annotations; remove it or add some")
        }
        return mutation
    }

    // MARK: relabel

    private mutating func readRelabel(_ value: JSONValue, at path: JSONPath) -> RelabelJob? {
        guard
            let object = reader.object(
                value, at: path, allowed: PlanValidator.relabelKeys, required: ["repositories"])
        else { return nil }
        let repositories = object["repositories"].map { readRepositories($0, at: path.member("repositories")) }
        let tags = object["tags"].flatMap { readTagFilter($0, at: path.member("tags")) } ?? .all
        let problemsBefore = reader.problems.count
        let mutation = Mutation(
            labels: object["labels"].flatMap { reader.stringMap($0, at: path.member("labels")) } ?? [:],
            annotations: object["annotations"].flatMap { reader.stringMap($0, at: path.member("annotations")) } ?? [:])
        if mutation.isEmpty, reader.problems.count == problemsBefore {
            reader.report(path, "sets no labels and no annotations; a relabel job needs at least one")
        }
        var toTag: String?
        if let value = object["toTag"], let template = reader.nonEmptyString(value, at: path.member("toTag")) {
            toTag = template
            let sample = template.replacingOccurrences(of: RelabelJob.tagPlaceholder, with: "v1.0")
            if !Reference.isValidTag(sample) {
                reader.report(
                    path.member("toTag"),
                    "\"\(template)\" does not make a valid tag; use letters, digits, '_', '.', '-' and {tag}, "
                        + "at most 128 characters")
            } else if !template.contains(RelabelJob.tagPlaceholder) {
                reader.report(
                    path.member("toTag"),
                    "\"\(template)\" has no {tag}, so every relabeled image would be written to the same tag")
            }
        }
        guard let repositories else { return nil }
        return RelabelJob(repositories: repositories, tags: tags, mutation: mutation, toTag: toTag)
    }

    /// Registry repositories, without tag or digest; `docker://` is allowed.
    private mutating func readRepositories(_ value: JSONValue, at path: JSONPath) -> [RepositoryName] {
        guard let texts = readUniqueStrings(value, at: path) else { return [] }
        var repositories: [RepositoryName] = []
        for (index, text) in texts {
            switch readRegistryLocation(text, at: path.element(index)) {
            case .repository(let repository):
                repositories.append(repository)
            case .registry:
                reader.report(
                    path.element(index),
                    "\"\(text)\" names a tag or digest; list repositories here and choose tags with \"tags\"")
            default: break
            }
        }
        return repositories
    }

    /// A registry image or repository; other transports are reported.
    private mutating func readRegistryLocation(_ text: String, at path: JSONPath) -> ImageLocation? {
        do {
            let location = try ImageLocation(
                parsing: text, relativeTo: files.baseDirectory, homeDirectory: files.homeDirectory)
            switch location {
            case .registry, .repository: return location
            case .layout, .archive:
                reader.report(path, "\"\(text)\" is not a registry reference; this job works on registries only")
                return nil
            }
        } catch {
            reader.report(path, error.description)
            return nil
        }
    }

    /// Non-empty strings paired with their index; repeats are reported.
    private mutating func readUniqueStrings(_ value: JSONValue, at path: JSONPath) -> [(Int, String)]? {
        guard let elements = reader.array(value, at: path) else { return nil }
        var seen: [String: Int] = [:]
        var result: [(Int, String)] = []
        for (index, element) in elements.enumerated() {
            guard let text = reader.nonEmptyString(element, at: path.element(index)) else { continue }
            if let first = seen[text] {
                reader.report(path.element(index), "\"\(text)\" is listed twice (also at \(path.element(first)))")
                continue
            }
            seen[text] = index
            result.append((index, text))
        }
        return result
    }

    // MARK: delete

    private mutating func readDelete(_ value: JSONValue, at path: JSONPath) -> DeleteJob? {
        guard let object = reader.object(value, at: path, allowed: PlanValidator.deleteKeys, required: ["images"]),
            let images = object["images"], let texts = readUniqueStrings(images, at: path.member("images"))
        else { return nil }
        var references: [Reference] = []
        for (index, text) in texts {
            let elementPath = path.member("images").element(index)
            switch readRegistryLocation(text, at: elementPath) {
            case .registry(let reference):
                references.append(reference)
            case .repository:
                reader.report(
                    elementPath,
                    "\"\(text)\" names a whole repository; name a tag or digest (use a cleanup job for policies)")
            default: break
            }
        }
        return DeleteJob(images: references)
    }

    // MARK: cleanup

    private mutating func readCleanup(_ value: JSONValue, at path: JSONPath) -> CleanupJob? {
        guard let object = reader.object(value, at: path, allowed: PlanValidator.cleanupKeys) else { return nil }
        var scope: CleanupScope?
        switch (object["repositories"], object["catalogPrefix"]) {
        case (let value?, nil):
            scope = .repositories(readRepositories(value, at: path.member("repositories")))
        case (nil, let value?):
            scope = readCatalogPrefix(value, at: path.member("catalogPrefix"))
        case (nil, nil):
            reader.report(path, "needs repositories or catalogPrefix to say what to clean")
        case (.some, .some):
            reader.report(path.member("catalogPrefix"), "cannot be used together with repositories; choose one")
        }
        var job = CleanupJob(scope: scope ?? .repositories([]))
        let problemsBeforeRules = reader.problems.count
        if let value = object["keep"], let keep = readKeepRules(value, at: path.member("keep")) {
            job.keep = keep
        }
        if let value = object["delete"], let delete = readCleanupDeleteRules(value, at: path.member("delete")) {
            job.delete = delete
        }
        if let value = object["allowEmpty"], let allowEmpty = reader.bool(value, at: path.member("allowEmpty")) {
            job.allowEmpty = allowEmpty
        }
        // A rule that failed to read is already reported; "no rules" would only repeat it.
        let rulesReadCleanly = reader.problems.count == problemsBeforeRules
        if rulesReadCleanly, job.keep.isEmpty, job.delete.isEmpty, !job.allowEmpty {
            reader.report(
                path,
                "has no keep rule and no delete rule, so it would delete every tag; "
                    + "add a rule, or set allowEmpty: true if deleting everything is intended")
        }
        guard scope != nil else { return nil }
        return job
    }

    private mutating func readCatalogPrefix(_ value: JSONValue, at path: JSONPath) -> CleanupScope? {
        guard let text = reader.nonEmptyString(value, at: path) else { return nil }
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let host = String(parts[0])
        guard parts.count == 2, RegistryHostSyntax.isValid(host) else {
            reader.report(
                path, "\"\(text)\" is not HOST[:PORT]/PREFIX, e.g. registry.example.com/team/ (the prefix may be empty)"
            )
            return nil
        }
        let prefix = String(parts[1])
        let allowed = prefix.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || "._-/".unicodeScalars.contains($0)
        }
        guard allowed else {
            reader.report(
                path, "the prefix \"\(prefix)\" has characters repository names cannot have (lower-case only)")
            return nil
        }
        return .catalogPrefix(registry: host, prefix: prefix)
    }

    private mutating func readKeepRules(_ value: JSONValue, at path: JSONPath) -> CleanupKeepRules? {
        guard let object = reader.object(value, at: path, allowed: PlanValidator.keepKeys) else { return nil }
        var keep = CleanupKeepRules()
        keep.last = object["last"].flatMap { reader.integer($0, at: path.member("last"), in: 0...100_000) }
        keep.match = object["match"].flatMap { reader.pattern($0, at: path.member("match")) }
        keep.newerThan = object["newerThan"].flatMap { reader.duration($0, at: path.member("newerThan")) }
        if let value = object["tags"], let tags = reader.stringArray(value, at: path.member("tags"), allowEmpty: true) {
            for (index, tag) in tags.enumerated() where !Reference.isValidTag(tag) {
                reader.report(path.member("tags").element(index), "\"\(tag)\" is not a valid tag")
            }
            keep.tags = tags.filter(Reference.isValidTag)
        }
        return keep
    }

    private mutating func readCleanupDeleteRules(_ value: JSONValue, at path: JSONPath) -> CleanupDeleteRules? {
        guard let object = reader.object(value, at: path, allowed: PlanValidator.cleanupDeleteKeys) else {
            return nil
        }
        return CleanupDeleteRules(
            match: object["match"].flatMap { reader.pattern($0, at: path.member("match")) },
            olderThan: object["olderThan"].flatMap { reader.duration($0, at: path.member("olderThan")) })
    }
}
