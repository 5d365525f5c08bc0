import Engine
import Foundation
import OCI
import Testing

/// Each rule alone and in combination on a small repository, with the exact set that goes.
@Suite struct CleanupPolicyTests {
    /// Nine tags: releases 10–50 days old, pull-request builds 5, 100 and 200 days old, one of unknown age.
    static let repository: [CleanupTaggedImage] = [
        CleanupFixture.image("v1", 10), CleanupFixture.image("v2", 20), CleanupFixture.image("v3", 30),
        CleanupFixture.image("v4", 40), CleanupFixture.image("v5", 50), CleanupFixture.image("pr-1", 5),
        CleanupFixture.image("pr-2", 100), CleanupFixture.image("pr-3", 200), CleanupFixture.image("mystery", nil),
    ]

    static let cases: [CleanupPolicyCase] = [
        // Delete rules alone: every candidate goes.
        .init(name: "delete.olderThan", olderThan: "45d", deleted: ["v5", "pr-2", "pr-3"]),
        .init(name: "delete.match", deleteMatch: "^pr-", deleted: ["pr-1", "pr-2", "pr-3"]),
        .init(
            name: "delete.match + delete.olderThan", deleteMatch: "^pr-", olderThan: "45d", deleted: ["pr-2", "pr-3"]),
        // Keep rules alone: every tag is a candidate, the rule protects some.
        .init(name: "keep.last", last: 3, deleted: ["v3", "v4", "v5", "pr-2", "pr-3", "mystery"]),
        .init(name: "keep.match", keepMatch: "^v", deleted: ["pr-1", "pr-2", "pr-3", "mystery"]),
        .init(
            name: "keep.tags", keepTags: ["v5", "pr-3"], deleted: ["v1", "v2", "v3", "v4", "pr-1", "pr-2", "mystery"]),
        .init(name: "keep.newerThan", newerThan: "25d", deleted: ["v3", "v4", "v5", "pr-2", "pr-3"]),
        .init(name: "keep.last larger than the repository", last: 50, deleted: []),
        .init(name: "keep.last 0 protects nothing", last: 0, olderThan: "150d", deleted: ["pr-3"]),
        // Combinations.
        .init(
            name: "keep.last counts among delete candidates", last: 2, olderThan: "15d",
            deleted: ["v4", "v5", "pr-2", "pr-3"]),
        .init(
            name: "keep.last larger among candidates", last: 4, olderThan: "15d",
            deleted: ["pr-2", "pr-3"]),
        .init(name: "keep.match + delete.olderThan", keepMatch: "^v", olderThan: "45d", deleted: ["pr-2", "pr-3"]),
        .init(name: "keep.tags + delete.match", keepTags: ["pr-3"], deleteMatch: "^pr-", deleted: ["pr-1", "pr-2"]),
        .init(name: "keep.newerThan + delete.match", newerThan: "150d", deleteMatch: "^pr-", deleted: ["pr-3"]),
        .init(
            name: "keep.last + keep.match + delete.olderThan", last: 1, keepMatch: "^v[12]$", olderThan: "1d",
            deleted: ["v3", "v4", "v5", "pr-2", "pr-3"]),
        .init(
            name: "every rule", last: 1, keepMatch: "^v5$", keepTags: ["pr-3"], newerThan: "15d",
            deleteMatch: "^(v|pr)", deleted: ["v2", "v3", "v4", "pr-2"]),
        .init(
            name: "keep.match search, not whole match", keepMatch: "-", olderThan: "1d",
            deleted: ["v1", "v2", "v3", "v4", "v5"]),
    ]

    @Test(arguments: cases)
    func exactSetDeleted(_ policy: CleanupPolicyCase) throws {
        let decision = try policy.decide(Self.repository)
        #expect(Set(decision.deletions.map(\.tag)) == policy.deleted)
        #expect(Set(decision.notRemovable.map(\.tag)) == policy.notRemovable)
        let survivors = Set(Self.repository.map(\.tag)).subtracting(policy.deleted)
        #expect(Set(decision.kept.map(\.tag)).union(decision.notRemovable.map(\.tag)) == survivors)
        // Every deletion names the digest its tag had at planning time.
        for deletion in decision.deletions {
            #expect(deletion.digest == CleanupFixture.digest(deletion.tag))
        }
    }

    @Test func ruleRecordedIsTheFirstThatDecides() throws {
        let decision = try CleanupFixture.decide(
            Self.repository,
            keep: CleanupKeepRules(
                last: 1, match: try CleanupFixture.pattern("^v5$"), tags: ["pr-3", "v1"],
                newerThan: try CleanupFixture.duration("15d")),
            delete: CleanupDeleteRules(match: try CleanupFixture.pattern("^(v|pr)")))
        let rules = Dictionary(uniqueKeysWithValues: decision.entries.map { ($0.tag, $0.rule.description) })
        #expect(
            rules == [
                "pr-1": "keep.last(1)",
                "v1": "keep.tags",
                "v2": "delete.match(^(v|pr))",
                "v3": "delete.match(^(v|pr))",
                "v4": "delete.match(^(v|pr))",
                "v5": "keep.match(^v5$)",
                "pr-2": "delete.match(^(v|pr))",
                "pr-3": "keep.tags",
                "mystery": "not a delete candidate: delete.match(^(v|pr)) does not match",
            ])
    }

    @Test func ruleNamesBothDeleteRulesOrNone() throws {
        let both = try CleanupFixture.decide(
            Self.repository,
            delete: CleanupDeleteRules(
                match: try CleanupFixture.pattern("^pr-"), olderThan: try CleanupFixture.duration("3w")))
        #expect(
            both.entry(for: "pr-3")?.rule
                == .deleteCandidate(match: "^pr-", olderThan: try CleanupFixture.duration("3w")))
        #expect(both.entry(for: "pr-3")?.rule.description == "delete.match(^pr-) + delete.olderThan(3w)")
        #expect(
            both.entry(for: "pr-1")?.rule.description == "not a delete candidate: not older than 3w (delete.olderThan)")

        let none = try CleanupFixture.decide(Self.repository, keep: CleanupKeepRules(tags: ["v1"]))
        #expect(none.entry(for: "v2")?.rule == .deleteCandidate(match: nil, olderThan: nil))
        #expect(none.entry(for: "v2")?.action == .delete)
    }

    @Test func ageBoundaryIsNeitherOlderNorNewer() throws {
        let tags = [CleanupFixture.image("edge", 30), CleanupFixture.image("keep", 1)]
        let older = try CleanupFixture.decide(
            tags, delete: CleanupDeleteRules(olderThan: try CleanupFixture.duration("30d")))
        #expect(older.entry(for: "edge")?.action == .keep)
        let newer = try CleanupFixture.decide(
            tags, keep: CleanupKeepRules(newerThan: try CleanupFixture.duration("30d")))
        #expect(newer.entry(for: "edge")?.action == .delete)
        #expect(
            newer.entry(for: "keep")?.rule == .keepNewerThan(try CleanupFixture.duration("30d"), createdUnknown: false))
    }

    @Test func imageFromTheFutureIsNewest() throws {
        let tags = [
            CleanupFixture.image("skewed", -2), CleanupFixture.image("today", 0), CleanupFixture.image("old", 9),
        ]
        let decision = try CleanupFixture.decide(tags, keep: CleanupKeepRules(last: 1), delete: CleanupDeleteRules())
        #expect(decision.entries.map(\.tag) == ["skewed", "today", "old"])
        #expect(decision.entry(for: "skewed")?.rule == .keepLast(1))
        #expect(decision.deletions.map(\.tag) == ["old", "today"])
    }
}
