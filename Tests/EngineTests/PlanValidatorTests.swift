import Foundation
import Testing

@testable import Engine

/// Malformed plans, each with the JSON paths of the problems it must produce (and no others).
@Suite struct PlanValidatorTests {
    static let copyJob = #"{"id": "a", "copy": {"from": "127.0.0.1:5000/x/a:1", "to": "127.0.0.1:5000/x/b:1"}}"#

    /// A valid plan around `jobs` (a JSON array body) and optional extra top-level members.
    static func plan(jobs: String = copyJob, extra: String = "") -> String {
        #"{"version": 1, "name": "test", "#.appending(extra.isEmpty ? "" : extra + ", ") + #""jobs": [\#(jobs)]}"#
    }

    static let longPattern = String(repeating: "a", count: TagPattern.maximumLength + 1)

    static func job(_ body: String, id: String = "a") -> String {
        #"{"id": "\#(id)", \#(body)}"#
    }

    static let malformed: [(String, String, [String])] = [
        ("not JSON", #"{"version": 1,"#, ["$"]),
        ("duplicate key", #"{"version": 1, "version": 1, "name": "t", "jobs": []}"#, ["$"]),
        ("array at the top", "[]", ["$"]),
        ("version 2", #"{"version": 2, "name": "t", "jobs": [\#(copyJob)]}"#, ["$.version"]),
        ("version as a string", #"{"version": "1", "name": "t", "jobs": [\#(copyJob)]}"#, ["$.version"]),
        ("missing everything", "{}", ["$.version", "$.name", "$.jobs"]),
        ("misspelt key", #"{"version": 1, "name": "t", "job": [\#(copyJob)]}"#, ["$.job", "$.jobs"]),
        ("name with a space", #"{"version": 1, "name": "a b", "jobs": [\#(copyJob)]}"#, ["$.name"]),
        ("no jobs", plan(jobs: ""), ["$.jobs"]),
        ("job that is a number", plan(jobs: "1"), ["$.jobs[0]"]),
        ("jobs as an object", #"{"version": 1, "name": "t", "jobs": {}}"#, ["$.jobs"]),
        ("null defaults", plan(extra: #""defaults": null"#), ["$.defaults"]),
        ("nesting too deep", String(repeating: "[", count: 100) + String(repeating: "]", count: 100), ["$"]),
        (
            "label key with a quote",
            plan(jobs: job(#""relabel": {"repositories": ["r.io/a"], "labels": {"a\"b": false}}"#)),
            [#"$.jobs[0].relabel.labels["a\"b"]"#]
        ),
        ("zero workers", plan(extra: #""defaults": {"workers": 0}"#), ["$.defaults.workers"]),
        ("too many workers", plan(extra: #""defaults": {"workers": 1000}"#), ["$.defaults.workers"]),
        ("fractional workers", plan(extra: #""defaults": {"workers": 8.5}"#), ["$.defaults.workers"]),
        ("workers as a string", plan(extra: #""defaults": {"workers": "8"}"#), ["$.defaults.workers"]),
        ("huge workers", plan(extra: #""defaults": {"workers": 1e400}"#), ["$.defaults.workers"]),
        ("absurd attempts", plan(extra: #""defaults": {"retry": {"attempts": 1000}}"#), ["$.defaults.retry.attempts"]),
        (
            "negative delay", plan(extra: #""defaults": {"retry": {"initialDelay": "-1s"}}"#),
            ["$.defaults.retry.initialDelay"]
        ),
        (
            "delay over a year", plan(extra: #""defaults": {"retry": {"maxDelay": "400d"}}"#),
            ["$.defaults.retry.maxDelay"]
        ),
        (
            "max below initial", plan(extra: #""defaults": {"retry": {"initialDelay": "10s", "maxDelay": "1s"}}"#),
            ["$.defaults.retry.maxDelay"]
        ),
        (
            "user agent with a line break", plan(extra: #""defaults": {"userAgent": "a\r\nX-Evil: 1"}"#),
            ["$.defaults.userAgent"]
        ),
        (
            "bad insecure registry", plan(extra: #""defaults": {"insecureRegistries": ["ok:5000", "bad host"]}"#),
            ["$.defaults.insecureRegistries[1]"]
        ),
        ("registry key with a scheme", plan(extra: #""registries": {"http://x": {}}"#), [#"$.registries["http://x"]"#]),
        (
            "registry port out of range", plan(extra: #""registries": {"x.example:70000": {}}"#),
            [#"$.registries["x.example:70000"]"#]
        ),
        (
            "misspelt registry setting", plan(extra: #""registries": {"127.0.0.1:5000": {"insecur": true}}"#),
            [#"$.registries["127.0.0.1:5000"].insecur"#]
        ),
        (
            "hub API not http", plan(extra: #""registries": {"docker.io": {"hubAPI": "ftp://x"}}"#),
            [#"$.registries["docker.io"].hubAPI"#]
        ),
        (
            "zero requests per second", plan(extra: #""registries": {"docker.io": {"requestsPerSecond": 0}}"#),
            [#"$.registries["docker.io"].requestsPerSecond"#]
        ),
        (
            "one registry under two names",
            plan(extra: #""registries": {"docker.io": {}, "index.docker.io": {"insecure": true}}"#),
            [#"$.registries["index.docker.io"]"#]
        ),
        ("duplicate job ids", plan(jobs: copyJob + ", " + copyJob), ["$.jobs[1].id"]),
        ("job id with a slash", plan(jobs: job(#""delete": {"images": ["r.io/a:1"]}"#, id: "a/b")), ["$.jobs[0].id"]),
        ("job without a kind", plan(jobs: #"{"id": "a"}"#), ["$.jobs[0]"]),
        (
            "job with two kinds",
            plan(jobs: job(#""copy": {"from": "r.io/a:1", "to": "r.io/b:1"}, "delete": {"images": ["r.io/a:1"]}"#)),
            ["$.jobs[0]"]
        ),
        (
            "mutate on a delete job",
            plan(jobs: job(#""delete": {"images": ["r.io/a:1"]}, "mutate": {"labels": {"a": "b"}}"#)),
            ["$.jobs[0].mutate"]
        ),
        ("copy without a target", plan(jobs: job(#""copy": {"from": "r.io/a:1"}"#)), ["$.jobs[0].copy.to"]),
        (
            "oci without a directory", plan(jobs: job(#""copy": {"from": "oci:", "to": "r.io/a:1"}"#)),
            ["$.jobs[0].copy.from"]
        ),
        (
            "archive as a target",
            plan(jobs: job(#""copy": {"from": "r.io/a:1", "to": "docker-archive:out.tar"}"#)), ["$.jobs[0].copy.to"]
        ),
        (
            "unsupported transport",
            plan(jobs: job(#""copy": {"from": "dir:/tmp/x", "to": "r.io/a:1"}"#)), ["$.jobs[0].copy.from"]
        ),
        (
            "upper-case reference",
            plan(jobs: job(#""copy": {"from": "r.io/Team/App:1", "to": "r.io/a:1"}"#)), ["$.jobs[0].copy.from"]
        ),
        (
            "digest target",
            plan(
                jobs: job(#""copy": {"from": "r.io/a:1", "to": "r.io/b@sha256:\#(String(repeating: "0", count: 64))"}"#)
            ),
            ["$.jobs[0].copy.to"]
        ),
        (
            "repository onto a tag",
            plan(jobs: job(#""copy": {"from": "r.io/a", "to": "r.io/b:1"}"#)), ["$.jobs[0].copy.to"]
        ),
        (
            "copy onto itself", plan(jobs: job(#""copy": {"from": "r.io/a", "to": "docker://r.io/a"}"#)),
            ["$.jobs[0].copy.to"]
        ),
        (
            "tags filter on one image",
            plan(jobs: job(#""copy": {"from": "r.io/a:1", "to": "r.io/b", "tags": {"match": "^v"}}"#)),
            ["$.jobs[0].copy.tags"]
        ),
        (
            "catastrophic regex",
            plan(jobs: job(#""copy": {"from": "r.io/a", "to": "r.io/b", "tags": {"match": "(a+)+$"}}"#)),
            ["$.jobs[0].copy.tags.match"]
        ),
        (
            "invalid regex and misspelt exclude",
            plan(jobs: job(#""copy": {"from": "r.io/a", "to": "r.io/b", "tags": {"match": "[v", "exlude": "x"}}"#)),
            ["$.jobs[0].copy.tags.match", "$.jobs[0].copy.tags.exlude"]
        ),
        (
            "overlong regex",
            plan(jobs: job(#""copy": {"from": "r.io/a", "to": "r.io/b", "tags": {"exclude": "\#(longPattern)"}}"#)),
            ["$.jobs[0].copy.tags.exclude"]
        ),
        (
            "bad platform",
            plan(jobs: job(#""copy": {"from": "r.io/a:1", "to": "r.io/b:1", "platforms": ["linux", "linux/amd64"]}"#)),
            ["$.jobs[0].copy.platforms[0]"]
        ),
        (
            "label value not a string",
            plan(
                jobs: job(
                    #""copy": {"from": "r.io/a:1", "to": "r.io/b:1"}, "mutate": {"labels": {"org.example.x": 1}}"#)),
            [#"$.jobs[0].mutate.labels["org.example.x"]"#]
        ),
        (
            "empty mutate", plan(jobs: job(#""copy": {"from": "r.io/a:1", "to": "r.io/b:1"}, "mutate": {}"#)),
            ["$.jobs[0].mutate"]
        ),
        (
            "relabel of a tag",
            plan(jobs: job(#""relabel": {"repositories": ["r.io/a:1"], "labels": {"a": "b"}}"#)),
            ["$.jobs[0].relabel.repositories[0]"]
        ),
        (
            "relabel without labels", plan(jobs: job(#""relabel": {"repositories": ["r.io/a"]}"#)),
            ["$.jobs[0].relabel"]
        ),
        (
            "relabel to one fixed tag",
            plan(jobs: job(#""relabel": {"repositories": ["r.io/a"], "labels": {"a": "b"}, "toTag": "fixed"}"#)),
            ["$.jobs[0].relabel.toTag"]
        ),
        (
            "relabel to an invalid tag",
            plan(jobs: job(#""relabel": {"repositories": ["r.io/a"], "labels": {"a": "b"}, "toTag": "{tag}/x"}"#)),
            ["$.jobs[0].relabel.toTag"]
        ),
        (
            "relabel of a layout",
            plan(jobs: job(#""relabel": {"repositories": ["oci:dir", "r.io/a", "r.io/a"], "labels": {"a": "b"}}"#)),
            ["$.jobs[0].relabel.repositories[0]", "$.jobs[0].relabel.repositories[2]"]
        ),
        (
            "delete of a repository", plan(jobs: job(#""delete": {"images": ["r.io/a"]}"#)),
            ["$.jobs[0].delete.images[0]"]
        ),
        ("delete of nothing", plan(jobs: job(#""delete": {"images": []}"#)), ["$.jobs[0].delete.images"]),
        ("cleanup without rules", plan(jobs: job(#""cleanup": {"repositories": ["r.io/a"]}"#)), ["$.jobs[0].cleanup"]),
        (
            "cleanup with two scopes",
            plan(jobs: job(#""cleanup": {"repositories": ["r.io/a"], "catalogPrefix": "r.io/", "keep": {"last": 1}}"#)),
            ["$.jobs[0].cleanup.catalogPrefix"]
        ),
        (
            "cleanup prefix without a host",
            plan(jobs: job(#""cleanup": {"catalogPrefix": "team", "keep": {"last": 1}}"#)),
            ["$.jobs[0].cleanup.catalogPrefix"]
        ),
        (
            "cleanup with negative keep",
            plan(jobs: job(#""cleanup": {"repositories": ["r.io/a"], "keep": {"last": -1, "tags": ["ok", "-bad"]}}"#)),
            ["$.jobs[0].cleanup.keep.last", "$.jobs[0].cleanup.keep.tags[1]"]
        ),
        (
            "cleanup with a bad age",
            plan(jobs: job(#""cleanup": {"repositories": ["r.io/a"], "delete": {"olderThan": "30 days"}}"#)),
            ["$.jobs[0].cleanup.delete.olderThan"]
        ),
    ]

    static let validator = PlanValidator(
        baseDirectory: "/nonexistent", homeDirectory: "/nonexistent", checksFiles: false)

    static func problems(in text: String, validator: PlanValidator = validator) -> PlanError? {
        do {
            _ = try PlanLoader.load(data: Data(text.utf8), source: "test.json", validator: validator)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: malformed)
    func reportsTheProblemPaths(name: String, text: String, paths: [String]) throws {
        let error = try #require(Self.problems(in: text), "\(name) was accepted")
        #expect(Set(error.paths) == Set(paths), "\(name): \(error)")
        #expect(error.problems.allSatisfy { !$0.message.isEmpty })
    }

    @Test func refusesOversizedPlans() throws {
        let padding = String(repeating: " ", count: PlanLoader.maximumPlanBytes)
        let error = try #require(Self.problems(in: Self.plan() + padding))
        #expect(error.problems.count == 1)
        #expect(error.description.contains("limit of \(PlanLoader.maximumPlanBytes)"))
    }

    @Test func notJSONNamesLineAndColumn() throws {
        let error = try #require(Self.problems(in: "{\n  \"version\": 1,\n  oops\n}"))
        #expect(error.problems.count == 1)
        #expect(error.description.contains("line 3, column 3"))
    }

    @Test func unknownKeysSuggestTheRightOne() throws {
        let error = try #require(Self.problems(in: Self.plan(extra: #""defaults": {"worker": 4}"#)))
        #expect(error.problems.first?.message.contains(#"did you mean "workers""#) == true)
        let swapped = try #require(Self.problems(in: #"{"version": 1, "nmae": "t", "jobs": [\#(Self.copyJob)]}"#))
        #expect(swapped.problems.first?.message.contains(#"did you mean "name""#) == true)
        let unrelated = try #require(Self.problems(in: Self.plan(extra: #""zzzzzz": 4"#)))
        #expect(unrelated.problems.first?.message.contains("expected one of: version, name") == true)
    }

    @Test(arguments: [("name", "name", 0), ("nmae", "name", 1), ("worker", "workers", 1), ("kitten", "sitting", 3)])
    func editDistanceCountsSwapsAsOneEdit(lhs: String, rhs: String, distance: Int) {
        #expect(PlanValueReader.editDistance(lhs, rhs) == distance)
        #expect(PlanValueReader.editDistance(rhs, lhs) == distance)
    }

    @Test(
        arguments: [
            ("Workers", "workers"), ("userAgnet", "userAgent"), ("insecureRegistry", "insecureRegistries"),
            ("zzz", nil),
        ] as [(String, String?)])
    func suggestsClosestKey(key: String, suggestion: String?) {
        #expect(PlanValueReader.closestKey(to: key, among: PlanValidator.defaultsKeys) == suggestion)
    }

    @Test func reportsEveryProblemAtOnce() throws {
        let text = """
            {"version": 3, "name": "ok", "defaults": {"workers": 0, "retry": {"attempts": 500}},
             "jobs": [
               {"id": "a", "copy": {"from": "oci:", "to": "docker-archive:x.tar"}},
               {"id": "a", "delete": {"images": ["r.io/Bad:1"]}},
               {"id": "c", "cleanup": {"repositories": ["r.io/a"], "keep": {"match": "(x*)*"}}}
             ]}
            """
        let error = try #require(Self.problems(in: text))
        #expect(
            error.paths == [
                "$.version", "$.defaults.workers", "$.defaults.retry.attempts", "$.jobs[0].copy.from",
                "$.jobs[0].copy.to", "$.jobs[1].id", "$.jobs[1].delete.images[0]", "$.jobs[2].cleanup.keep.match",
            ])
        let lines = error.description.split(separator: "\n")
        #expect(lines.count == error.problems.count + 1)
        #expect(lines.first?.contains("test.json") == true)
        #expect(lines.dropFirst().allSatisfy { $0.contains("$.") })
    }

    @Test func appliesDefaults() throws {
        let plan = try PlanLoader.load(data: Data(Self.plan().utf8), source: "t", validator: Self.validator)
        #expect(plan.defaults.workers == 8)
        #expect(plan.defaults.retry.attempts == 5)
        #expect(plan.defaults.retry.initialDelay.seconds == 1)
        #expect(plan.defaults.retry.maxDelay.seconds == 60)
        #expect(plan.defaults.userAgent == "ocibatch/" + OCIBatchVersion.current)
        #expect(plan.defaults.dockerConfig == nil)
        #expect(plan.registries.isEmpty)
    }

    @Test func readsEverySetting() throws {
        let text = Self.plan(
            jobs: """
                {"id": "m", "copy": {"from": "r.io/a", "to": "oci:out", "tags": {"match": "^v", "exclude": "-rc"},
                  "platforms": ["linux/arm64/v8"], "referrers": true}, "mutate": {"annotations": {"k": "v"}}},
                {"id": "r", "relabel": {"repositories": ["r.io/a"], "labels": {"o": "t"}, "toTag": "{tag}-l"}},
                {"id": "c", "cleanup": {"catalogPrefix": "r.io:5000/team/", "keep": {"last": 3, "newerThan": "7d"},
                  "delete": {"olderThan": "30d"}, "allowEmpty": true}}
                """,
            extra: """
                "defaults": {"workers": 16, "retry": {"attempts": 3, "initialDelay": "500ms", "maxDelay": "2h30m"},
                  "insecureRegistries": ["r.io"], "userAgent": "nightly"},
                "registries": {"r.io": {"maxConcurrency": 2, "requestsPerSecond": 0.5, "hubAPI": "http://127.0.0.1:9"}}
                """)
        let plan = try PlanLoader.load(data: Data(text.utf8), source: "t", validator: Self.validator)
        #expect(plan.defaults.workers == 16)
        #expect(
            plan.defaults.retry
                == RetryPolicySettings(
                    attempts: 3, initialDelay: PlanDuration(milliseconds: 500), maxDelay: PlanDuration(seconds: 9000)))
        #expect(plan.defaults.userAgent == "nightly")
        let registry = plan.settings(forRegistry: "r.io")
        #expect(registry.insecure)
        #expect(registry.maxConcurrency == 2)
        #expect(registry.requestsPerSecond == 0.5)
        #expect(registry.hubAPI?.absoluteString == "http://127.0.0.1:9")
        #expect(plan.settings(forRegistry: "other.io").insecure == false)
        #expect(plan.jobs.map(\.id) == ["m", "r", "c"])

        guard case .copy(let copy) = plan.jobs[0].kind, case .relabel(let relabel) = plan.jobs[1].kind,
            case .cleanup(let cleanup) = plan.jobs[2].kind
        else {
            Issue.record("unexpected job kinds: \(plan.jobs.map(\.kind.name))")
            return
        }
        #expect(copy.to == .layout(directory: "/nonexistent/out", tag: nil, digest: nil))
        #expect(copy.tags.accepts("v1") && !copy.tags.accepts("v1-rc1"))
        #expect(copy.platforms == ["linux/arm64/v8"])
        #expect(copy.referrers)
        #expect(copy.mutation == Mutation(annotations: ["k": "v"]))
        #expect(relabel.targetTag(for: "v1") == "v1-l")
        #expect(relabel.repositories.map(\.description) == ["r.io/a"])
        #expect(cleanup.scope == .catalogPrefix(registry: "r.io:5000", prefix: "team/"))
        #expect(cleanup.keep.last == 3)
        #expect(cleanup.keep.newerThan == PlanDuration(seconds: 7 * 86_400))
        #expect(cleanup.delete.olderThan == PlanDuration(seconds: 30 * 86_400))
        #expect(cleanup.allowEmpty)
    }

    @Test func dockerHubAliasesNameOneRegistry() throws {
        let defaults = #""defaults": {"insecureRegistries": ["registry-1.docker.io"]}"#
        let registries = #""registries": {"index.docker.io": {"maxConcurrency": 3}}"#
        let text = Self.plan(extra: defaults + ", " + registries)
        let plan = try PlanLoader.load(data: Data(text.utf8), source: "t", validator: Self.validator)
        #expect(plan.settings(forRegistry: "docker.io").maxConcurrency == 3)
        #expect(plan.settings(forRegistry: "docker.io").insecure)
    }

    @Test func hashChangesWithTheBytes() throws {
        let first = try PlanLoader.load(data: Data(Self.plan().utf8), source: "t", validator: Self.validator)
        let again = try PlanLoader.load(data: Data(Self.plan().utf8), source: "t", validator: Self.validator)
        let spaced = try PlanLoader.load(data: Data((Self.plan() + " ").utf8), source: "t", validator: Self.validator)
        #expect(first.contentHash == again.contentHash)
        #expect(first.contentHash != spaced.contentHash)
        #expect(first.contentHash.hasPrefix("sha256:") && first.contentHash.count == 7 + 64)
    }
}
