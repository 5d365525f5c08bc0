import Engine
import Foundation
import OCI
import Testing

/// Shared digests and multi-platform indexes: nothing a kept tag needs is deleted.
@Suite struct CleanupSafetyTests {
    @Test func digestSharedWithKeptTagIsNotRemovable() throws {
        let tags = [
            CleanupFixture.image("latest", 1, image: "build-3"), CleanupFixture.image("v3", 1, image: "build-3"),
            CleanupFixture.image("v2", 2), CleanupFixture.image("v1", 3),
        ]
        let decision = try CleanupFixture.decide(
            tags, keep: CleanupKeepRules(tags: ["latest"]),
            delete: CleanupDeleteRules(match: try CleanupFixture.pattern("^v")))
        #expect(decision.entry(for: "v3")?.action == .notRemovable)
        #expect(decision.entry(for: "v3")?.rule == .sharedDigest(keptTag: "latest"))
        #expect(decision.entry(for: "v3")?.rule.description == "digest shared with kept tag latest")
        #expect(decision.deletions.map(\.tag) == ["v1", "v2"])
        #expect(!decision.deletions.contains { $0.digest == CleanupFixture.digest("build-3") })
    }

    @Test func sharedDigestNamesTheNewestKeptTag() throws {
        let tags = [
            CleanupFixture.image("a", 1, image: "x"), CleanupFixture.image("b", 1, image: "x"),
            CleanupFixture.image("c", 1, image: "x"), CleanupFixture.image("drop", 1, image: "x"),
        ]
        let decision = try CleanupFixture.decide(tags, keep: CleanupKeepRules(tags: ["a", "c"]))
        // c ranks before a (same date, later name), so it is the kept tag named.
        #expect(decision.entry(for: "b")?.rule == .sharedDigest(keptTag: "c"))
        #expect(decision.entry(for: "drop")?.rule == .sharedDigest(keptTag: "c"))
        #expect(decision.deletions.isEmpty)
    }

    @Test func deletedTagsSharingADigestAreEachListed() throws {
        let tags = [
            CleanupFixture.image("old-a", 90, image: "old"), CleanupFixture.image("old-b", 90, image: "old"),
            CleanupFixture.image("new", 1),
        ]
        let decision = try CleanupFixture.decide(
            tags, delete: CleanupDeleteRules(olderThan: try CleanupFixture.duration("30d")))
        #expect(decision.deletions.map(\.tag) == ["old-a", "old-b"])
        #expect(Set(decision.deletions.map(\.digest)) == [CleanupFixture.digest("old")])
    }

    @Test func keepLastCountsImagesNotTags() throws {
        let tags = [
            CleanupFixture.image("latest", 1, image: "build-3"), CleanupFixture.image("v3", 1, image: "build-3"),
            CleanupFixture.image("3", 1, image: "build-3"), CleanupFixture.image("v2", 2),
            CleanupFixture.image("v1", 3),
        ]
        let decision = try CleanupFixture.decide(tags, keep: CleanupKeepRules(last: 2))
        #expect(Set(decision.kept.map(\.tag)) == ["latest", "v3", "3", "v2"])
        #expect(decision.deletions.map(\.tag) == ["v1"])
        #expect(decision.entry(for: "3")?.rule == .keepLast(2))
    }

    @Test func childOfKeptIndexIsNotRemovable() throws {
        let tags = [
            CleanupFixture.index("multi", 40, children: ["multi-amd64", "multi-arm64"]),
            CleanupFixture.image("multi-amd64", 40), CleanupFixture.image("other", 40),
        ]
        let decision = try CleanupFixture.decide(tags, keep: CleanupKeepRules(tags: ["multi"]))
        #expect(decision.entry(for: "multi-amd64")?.action == .notRemovable)
        #expect(
            decision.entry(for: "multi-amd64")?.rule
                == .referencedByKeptIndex(tag: "multi", index: CleanupFixture.digest("multi")))
        #expect(
            decision.entry(for: "multi-amd64")?.rule.description
                == "manifest referenced by kept index multi (\(CleanupDecisionTable.shortDigest(CleanupFixture.digest("multi"))))"
        )
        #expect(decision.deletions.map(\.tag) == ["other"])
    }

    @Test func grandchildOfKeptNestedIndexIsNotRemovable() throws {
        // outer → inner → leaf; the inventory lists every descendant of outer.
        let tags = [
            CleanupFixture.index("outer", 10, children: ["inner", "leaf"]),
            CleanupFixture.index("inner", 10, children: ["leaf"]), CleanupFixture.image("leaf", 10),
        ]
        let decision = try CleanupFixture.decide(tags, keep: CleanupKeepRules(tags: ["outer"]))
        #expect(
            decision.entry(for: "inner")?.rule
                == .referencedByKeptIndex(tag: "outer", index: CleanupFixture.digest("outer")))
        #expect(decision.entry(for: "leaf")?.action == .notRemovable)
        #expect(decision.deletions.isEmpty)
    }

    @Test func deletedIndexGoesBeforeItsDeletedChildren() throws {
        // Child tags sort before the index by name; the index must still be deleted first.
        let tags = [
            CleanupFixture.index("z-outer", 90, children: ["m-inner", "a-leaf", "b-leaf"]),
            CleanupFixture.index("m-inner", 90, children: ["a-leaf"]), CleanupFixture.image("a-leaf", 90),
            CleanupFixture.image("b-leaf", 90), CleanupFixture.image("keep", 1),
        ]
        let decision = try CleanupFixture.decide(
            tags, delete: CleanupDeleteRules(olderThan: try CleanupFixture.duration("30d")))
        #expect(decision.deletions.map(\.tag) == ["z-outer", "b-leaf", "m-inner", "a-leaf"])
    }

    @Test func deletingAnIndexLeavesAKeptChildTag() throws {
        // Deleting an index manifest does not delete its children, so the index may go while a child tag stays.
        let tags = [
            CleanupFixture.index("multi", 90, children: ["multi-amd64", "multi-arm64"]),
            CleanupFixture.image("multi-amd64", 90),
        ]
        let decision = try CleanupFixture.decide(tags, keep: CleanupKeepRules(tags: ["multi-amd64"]))
        #expect(decision.deletions.map(\.tag) == ["multi"])
    }

    @Test func indexSharedDigestAndChildAtOnce() throws {
        // "stable" and "v2" are the same index; "v2-arm64" is its child; "v1" is unrelated and old.
        let tags = [
            CleanupFixture.index("stable", 20, image: "release-2", children: ["r2-amd64", "r2-arm64"]),
            CleanupFixture.index("v2", 20, image: "release-2", children: ["r2-amd64", "r2-arm64"]),
            CleanupFixture.image("v2-arm64", 20, image: "r2-arm64"),
            CleanupFixture.index("v1", 60, image: "release-1", children: ["r1-amd64"]),
        ]
        let decision = try CleanupFixture.decide(
            tags, keep: CleanupKeepRules(tags: ["stable"]),
            delete: CleanupDeleteRules(match: try CleanupFixture.pattern("^v")))
        #expect(decision.entry(for: "v2")?.rule == .sharedDigest(keptTag: "stable"))
        #expect(
            decision.entry(for: "v2-arm64")?.rule
                == .referencedByKeptIndex(tag: "stable", index: CleanupFixture.digest("release-2")))
        #expect(decision.deletions.map(\.tag) == ["v1"])
    }
}
