import Foundation
import Queue
import Testing

@testable import Engine

/// The planner alone: which steps a plan becomes, their keys and their dependencies.
@Suite struct PlannerTests {
    static func plan(_ jobs: String, retry: String = "") throws -> Plan {
        let text = """
            {"version": 1, "name": "planner-test", "defaults": {"insecureRegistries": ["reg.test:5000"]\(retry)},
             "jobs": [\(jobs)]}
            """
        let validator = PlanValidator(baseDirectory: "/plans", homeDirectory: "/home/u", checksFiles: false)
        return try PlanLoader.load(data: Data(text.utf8), source: "test", validator: validator)
    }

    static let copyWithMutation = """
        {"id": "import", "copy": {"from": "oci:./layout:1.0", "to": "reg.test:5000/team/app:1.0"},
         "mutate": {"labels": {"team": "a"}}}
        """

    @Test func copyOfOneImageIsLoadMutatePush() throws {
        let steps = try Planner(plan: try Self.plan(Self.copyWithMutation)).rootSteps()
        #expect(steps.map(\.kind) == [.load, .mutate, .push])
        let (load, mutate, push) = (steps[0], steps[1], steps[2])
        #expect(load.dependsOn.isEmpty)
        #expect(mutate.dependsOn == [load.key])
        #expect(push.dependsOn == [load.key, mutate.key])
        #expect(load.source == "oci:/plans/layout:1.0")
        #expect(push.source == "oci:/plans/layout:1.0")
        #expect(push.target == "docker://reg.test:5000/team/app:1.0")
        #expect(steps.allSatisfy { $0.jobID == "import" && $0.maxAttempts == 5 })
        let input = try JSONDecoder().decode(MutateInput.self, from: mutate.input)
        #expect(input.labels == ["team": "a"])
    }

    @Test func copyWithoutMutationHasNoMutateStep() throws {
        let steps = try Planner(
            plan: try Self.plan(#"{"id": "c", "copy": {"from": "reg.test:5000/a:1", "to": "oci:/out"}}"#)
        ).rootSteps()
        #expect(steps.map(\.kind) == [.load, .push])
        #expect(steps[1].dependsOn == [steps[0].key])
        // A layout target without a name takes the source's tag.
        #expect(steps[1].target == "oci:/out:1")
    }

    @Test func platformsAreChosenByAMutateStep() throws {
        let steps = try Planner(
            plan: try Self.plan(
                #"{"id": "p", "copy": {"from": "reg.test:5000/a:1", "to": "reg.test:5000/b:1", "platforms": ["linux/amd64"]}}"#
            )
        ).rootSteps()
        #expect(steps.map(\.kind) == [.load, .mutate, .push])
        let input = try JSONDecoder().decode(MutateInput.self, from: steps[1].input)
        #expect(input.platforms == ["linux/amd64"])
        #expect(input.labels.isEmpty)
    }

    @Test func keysAreStableAndDifferBetweenJobs() throws {
        let jobs = Self.copyWithMutation + "," + Self.copyWithMutation.replacingOccurrences(of: "import", with: "again")
        let first = try Planner(plan: try Self.plan(jobs)).rootSteps().map(\.key)
        let second = try Planner(plan: try Self.plan(jobs)).rootSteps().map(\.key)
        #expect(first == second)
        #expect(Set(first).count == 6)
        #expect(first[0].hasPrefix("import/load/oci:/plans/layout:1.0#"))
    }

    @Test func retryAttemptsBecomeEachStepsBudget() throws {
        let plan = try Self.plan(
            Self.copyWithMutation, retry: #", "retry": {"attempts": 2, "initialDelay": "10ms", "maxDelay": "20ms"}"#)
        #expect(try Planner(plan: plan).rootSteps().allSatisfy { $0.maxAttempts == 2 })
    }

    @Test func deleteIsLoadThenDeleteOfTheSameImage() throws {
        let steps = try Planner(
            plan: try Self.plan(#"{"id": "retire", "delete": {"images": ["reg.test:5000/a:1", "reg.test:5000/b:2"]}}"#)
        ).rootSteps()
        #expect(steps.map(\.kind) == [.load, .delete, .load, .delete])
        #expect(steps[1].dependsOn == [steps[0].key])
        #expect(steps[1].target == "docker://reg.test:5000/a:1")
        let load = try JSONDecoder().decode(LoadInput.self, from: steps[0].input)
        #expect(load.missingIsGone == true)
    }

    @Test func repositoriesAreDiscoveredWhenTheRunReachesThem() throws {
        let plan = try Self.plan(
            """
            {"id": "migrate", "copy": {"from": "reg.test:5000/team/app", "to": "reg.test:5000/mirror/app",
              "tags": {"match": "^v", "exclude": "-rc"}}},
            {"id": "relabel", "relabel": {"repositories": ["reg.test:5000/a", "reg.test:5000/b"],
              "labels": {"owner": "x"}, "toTag": "{tag}-x"}}
            """)
        let planner = Planner(plan: plan)
        let roots = try planner.rootSteps()
        #expect(roots.map(\.kind) == [.discover, .discover, .discover])
        #expect(
            roots.map(\.source) == [
                "docker://reg.test:5000/team/app", "docker://reg.test:5000/a", "docker://reg.test:5000/b",
            ])

        let copied = try planner.steps(
            forJob: "migrate", discoveredIn: .repository(try RepositoryName(parsing: "reg.test:5000/team/app")),
            tags: ["v2", "latest", "v1", "v2-rc"])
        #expect(copied.tags == ["v1", "v2"])
        #expect(copied.steps.map(\.kind) == [.load, .push, .load, .push])
        #expect(copied.steps[1].target == "docker://reg.test:5000/mirror/app:v1")

        let relabeled = try planner.steps(
            forJob: "relabel", discoveredIn: .repository(try RepositoryName(parsing: "reg.test:5000/a")), tags: ["1.0"])
        #expect(relabeled.steps.map(\.kind) == [.load, .mutate, .push])
        #expect(relabeled.steps[0].source == "docker://reg.test:5000/a:1.0")
        #expect(relabeled.steps[2].target == "docker://reg.test:5000/a:1.0-x")
    }

    @Test func layoutsWithoutATagAreDiscoveredToo() throws {
        let planner = Planner(
            plan: try Self.plan(#"{"id": "all", "copy": {"from": "oci:/layouts/a", "to": "reg.test:5000/a"}}"#))
        #expect(try planner.rootSteps().map(\.kind) == [.discover])
        let planned = try planner.steps(
            forJob: "all", discoveredIn: .layout(directory: "/layouts/a", tag: nil, digest: nil), tags: ["1", "2"])
        #expect(planned.steps.compactMap(\.target).filter { $0.hasSuffix(":2") } == ["docker://reg.test:5000/a:2"])
    }

    @Test func cleanupAndReferrersPlanDiscoverSteps() throws {
        let cleanup = Planner(
            plan: try Self.plan(
                #"{"id": "c", "cleanup": {"repositories": ["reg.test:5000/a", "reg.test:5000/b"], "keep": {"last": 1}}}"#
            ))
        #expect(try cleanup.rootSteps().map(\.kind) == [.discover, .discover])
        let catalog = Planner(
            plan: try Self.plan(
                #"{"id": "c", "cleanup": {"catalogPrefix": "reg.test:5000/team/", "keep": {"last": 1}}}"#))
        let root = try catalog.rootSteps()
        #expect(root.map(\.source) == ["reg.test:5000/team/*"])
        let referrers = Planner(
            plan: try Self.plan(
                #"{"id": "r", "copy": {"from": "reg.test:5000/a:1", "to": "reg.test:5000/b:1", "referrers": true}}"#))
        let steps = try referrers.rootSteps()
        #expect(steps.map(\.kind) == [.load, .push, .discover])
        #expect(steps.last?.dependsOn == [steps[0].key, steps[1].key])
    }

    @Test func planningTheSamePlanAgainQueuesNothingNew() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("planner-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteQueueStore(path: directory + "/queue.db")
        let plan = try Self.plan(
            Self.copyWithMutation + #", {"id": "retire", "delete": {"images": ["reg.test:5000/a:1"]}}"#)
        let run = try await store.startRun(
            NewRun(planName: plan.name, planHash: plan.contentHash, planJSON: Data("{}".utf8)), forceNew: false)
        let first = try await store.insertSteps(try Planner(plan: plan).rootSteps(), into: run.run.id)
        let second = try await store.insertSteps(try Planner(plan: plan).rootSteps(), into: run.run.id)
        #expect(first == second)
        let steps = try await store.steps(run: run.run.id)
        #expect(steps.count == 5)
        let push = try #require(steps.first { $0.kind == .push })
        let dependencies = Set(
            steps.filter { $0.kind == .load || $0.kind == .mutate }.filter { $0.jobID == "import" }.map(\.id))
        #expect(Set(push.dependsOn) == dependencies)
    }

    @Test func storedPlansComeBackWithTheirBaseDirectory() throws {
        let text = Data(
            #"{"version": 1, "name": "s", "jobs": [{"id": "c", "copy": {"from": "oci:./l:1", "to": "oci:./o:1"}}]}"#
                .utf8)
        let envelope = try StoredPlan.envelope(planData: text, planFile: "/p/plan.json", baseDirectory: "/p")
        let object = try JSONSerialization.jsonObject(with: envelope) as? [String: Any]
        #expect(object?["planFile"] as? String == "/p/plan.json")
        #expect((object?["plan"] as? [String: Any])?["name"] as? String == "s")
        do {
            _ = try StoredPlan.plan(stored: envelope, hash: "sha256:x", runName: "run 7")
            Issue.record("a stored plan naming missing layouts was accepted")
        } catch let error as PlanError {
            // Checked like any plan: the layouts are resolved against the stored directory.
            #expect(error.description.contains("/p/l"))
        }
    }
}
