import Engine
import Foundation
import OCI
import Testing

/// A policy that would empty a repository is refused unless the plan says `allowEmpty: true`.
@Suite struct CleanupRefusalTests {
    static let oldTags = [
        CleanupFixture.image("a", 100), CleanupFixture.image("b", 200), CleanupFixture.image("c", 300, image: "a"),
    ]

    @Test func refusesToDeleteEveryTag() throws {
        let delete = CleanupDeleteRules(olderThan: try CleanupFixture.duration("30d"))
        let refusal = try #require(throws: CleanupRefusal.self) {
            try CleanupFixture.decide(Self.oldTags, delete: delete)
        }
        #expect(refusal.decision.repository == "registry.test/app")
        #expect(refusal.decision.deletions.count == 3)
        #expect(
            refusal.description
                == "cleanup of registry.test/app refused: the policy would delete all 3 tags of the repository and "
                + "keep none; if an empty repository is intended, set \"allowEmpty\": true in the cleanup job, "
                + "otherwise add a keep rule")
    }

    @Test func singleTagRepositorySaysTag() throws {
        let refusal = try #require(throws: CleanupRefusal.self) {
            try CleanupFixture.decide([CleanupFixture.image("only", 5)])
        }
        #expect(refusal.description.contains("all 1 tag of the repository"))
    }

    @Test func allowEmptyDeletesEveryTag() throws {
        let delete = CleanupDeleteRules(olderThan: try CleanupFixture.duration("30d"))
        let decision = try CleanupFixture.decide(Self.oldTags, delete: delete, allowEmpty: true)
        #expect(decision.deletions.map(\.tag) == ["a", "b", "c"])
        #expect(decision.kept.isEmpty)
    }

    @Test(arguments: [
        CleanupKeepRules(last: 1), CleanupKeepRules(tags: ["c"]),
        CleanupKeepRules(newerThan: PlanDuration(seconds: 86_400 * 150)),
    ])
    func oneKeptTagIsEnough(keep: CleanupKeepRules) throws {
        let decision = try CleanupFixture.decide(Self.oldTags, keep: keep)
        #expect(decision.deletions.count < Self.oldTags.count)
        #expect(!decision.kept.isEmpty)
    }

    @Test func emptyRepositoryIsNotRefused() throws {
        let decision = try CleanupFixture.decide([])
        #expect(decision.entries.isEmpty)
        #expect(decision.deletions.isEmpty)
    }

    @Test func nothingDeletedIsNotRefused() throws {
        let decision = try CleanupFixture.decide(
            Self.oldTags, delete: CleanupDeleteRules(match: try CleanupFixture.pattern("^x")))
        #expect(decision.deletions.isEmpty)
    }
}
