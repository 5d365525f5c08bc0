import Engine
import Foundation
import OCI
import Testing

/// Newest-first ranking, ties, unknown dates and determinism.
@Suite struct CleanupOrderTests {
    struct Pair: Sendable, CustomTestStringConvertible {
        let newer: CleanupTaggedImage
        let older: CleanupTaggedImage
        var testDescription: String { "\(newer.tag) before \(older.tag)" }
    }

    static let pairs: [Pair] = [
        Pair(newer: CleanupFixture.image("a", 1), older: CleanupFixture.image("z", 2)),
        Pair(newer: CleanupFixture.image("z", 1000), older: CleanupFixture.image("a", nil)),
        Pair(newer: CleanupFixture.image("v1.10", 5), older: CleanupFixture.image("v1.9", 5)),
        Pair(newer: CleanupFixture.image("build-101", 5), older: CleanupFixture.image("build-99", 5)),
        Pair(newer: CleanupFixture.image("v2", 5), older: CleanupFixture.image("v1.99", 5)),
        Pair(newer: CleanupFixture.image("b", 5), older: CleanupFixture.image("a", 5)),
        Pair(newer: CleanupFixture.image("ab", 5), older: CleanupFixture.image("a", 5)),
        Pair(newer: CleanupFixture.image("a10", 5), older: CleanupFixture.image("a9z", 5)),
        // Equal in natural order: the later in byte order.
        Pair(newer: CleanupFixture.image("v1", 5), older: CleanupFixture.image("v01", 5)),
        Pair(newer: CleanupFixture.image("v10", nil), older: CleanupFixture.image("v9", nil)),
        Pair(newer: CleanupFixture.image("b", nil), older: CleanupFixture.image("a", nil)),
    ]

    @Test(arguments: pairs)
    func ranksNewerFirst(_ pair: Pair) {
        #expect(CleanupOrder.isNewer(pair.newer, than: pair.older))
        #expect(!CleanupOrder.isNewer(pair.older, than: pair.newer))
    }

    @Test func tagIsNotNewerThanItself() {
        let image = CleanupFixture.image("v1", 3)
        #expect(!CleanupOrder.isNewer(image, than: image))
    }

    @Test func keepLastBreaksTiesByName() throws {
        let tags = ["rc-9", "rc-10", "rc-2", "rc-11"].map { CleanupFixture.image($0, 7) }
        let decision = try CleanupFixture.decide(tags, keep: CleanupKeepRules(last: 2))
        #expect(decision.entries.map(\.tag) == ["rc-11", "rc-10", "rc-9", "rc-2"])
        #expect(decision.deletions.map(\.tag) == ["rc-2", "rc-9"])
    }

    @Test func unknownAgeIsNeverOlderThanAnything() throws {
        let tags = [
            CleanupFixture.image("mystery", nil), CleanupFixture.image("ancient", 300), CleanupFixture.image("new", 1),
        ]
        let olderThan = try CleanupFixture.duration("1s")
        let decision = try CleanupFixture.decide(tags, delete: CleanupDeleteRules(olderThan: olderThan))
        #expect(decision.entry(for: "mystery")?.rule == .notOlderThan(olderThan, createdUnknown: true))
        #expect(decision.deletions.map(\.tag) == ["ancient", "new"])
    }

    @Test func unknownAgeCountsAsNewForKeepNewerThan() throws {
        let tags = [CleanupFixture.image("mystery", nil), CleanupFixture.image("ancient", 300)]
        let newerThan = try CleanupFixture.duration("7d")
        let decision = try CleanupFixture.decide(tags, keep: CleanupKeepRules(newerThan: newerThan))
        #expect(decision.entry(for: "mystery")?.rule == .keepNewerThan(newerThan, createdUnknown: true))
        #expect(decision.deletions.map(\.tag) == ["ancient"])
    }

    @Test func unknownAgeRanksOldestForKeepLast() throws {
        let tags = [
            CleanupFixture.image("zz-mystery", nil), CleanupFixture.image("ancient", 300),
            CleanupFixture.image("new", 1),
        ]
        let decision = try CleanupFixture.decide(tags, keep: CleanupKeepRules(last: 2))
        #expect(decision.entries.map(\.tag) == ["new", "ancient", "zz-mystery"])
        #expect(decision.deletions.map(\.tag) == ["zz-mystery"])
        #expect(decision.entry(for: "zz-mystery")?.unknownCreatedReason == "created date unknown")
    }

    /// The same repository listed in any order gives the same decision.
    @Test(arguments: 0..<6)
    func decisionDoesNotDependOnListingOrder(rotation: Int) throws {
        let tags = CleanupLargeRepository.tags
        let rotated = Array(tags[rotation * 5..<tags.count] + tags[0..<rotation * 5])
        let listings = [tags, rotated, rotated.reversed()]
        let keep = CleanupKeepRules(last: 5, match: try CleanupFixture.pattern("^stable$"))
        let delete = CleanupDeleteRules(olderThan: try CleanupFixture.duration("20d"))
        let decisions = try listings.map { try CleanupFixture.decide($0, keep: keep, delete: delete) }
        #expect(decisions.allSatisfy { $0 == decisions[0] })
        #expect(decisions[0].entries.map(\.tag) == CleanupOrder.newestFirst(tags).map(\.tag))
    }
}
