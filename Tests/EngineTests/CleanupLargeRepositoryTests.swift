import Engine
import Foundation
import OCI
import Testing

/// A repository of 38 tags: releases, pull-request builds, multi-platform indexes with tagged children,
/// shared digests, ties and unknown dates.
enum CleanupLargeRepository {
    static let tags: [CleanupTaggedImage] = {
        var tags: [CleanupTaggedImage] = (1...12).map { number in
            CleanupFixture.image("v1.\(number)", Double(130 - 10 * number))
        }
        tags.append(CleanupFixture.image("latest", 10, image: "v1.12"))
        tags.append(CleanupFixture.image("stable", 30, image: "v1.10"))
        // pr-7 (20 days) ties with v1.11 on date.
        tags += (1...15).map { number in CleanupFixture.image("pr-\(number)", Double(3 * number - 1)) }
        tags += [
            CleanupFixture.index("multi-1", 150, children: ["multi-1-amd64", "multi-1-arm64"]),
            CleanupFixture.index("multi-2", 100, children: ["multi-2-amd64", "multi-2-arm64"]),
            CleanupFixture.index("multi-3", 50, children: ["multi-3-amd64", "multi-3-arm64"]),
            CleanupFixture.index("multi-4", 1, children: ["multi-4-amd64", "multi-4-arm64"]),
            CleanupFixture.image("multi-1-amd64", 150), CleanupFixture.image("multi-2-amd64", 100),
            CleanupFixture.image("multi-4-arm64", 3),
            CleanupFixture.image("sbom", nil), CleanupFixture.image("cache", nil),
        ]
        return tags
    }()

    static func releases(_ numbers: ClosedRange<Int>) -> Set<String> { Set(numbers.map { "v1.\($0)" }) }
    static func pullRequests(_ numbers: ClosedRange<Int>) -> Set<String> { Set(numbers.map { "pr-\($0)" }) }
    static let oldIndexes: Set<String> = ["multi-1", "multi-1-amd64", "multi-2", "multi-2-amd64", "multi-3"]
}

@Suite struct CleanupLargeRepositoryTests {
    static let cases: [CleanupPolicyCase] = [
        .init(
            name: "delete.olderThan 90d",
            olderThan: "90d",
            deleted: CleanupLargeRepository.releases(1...3).union([
                "multi-1", "multi-1-amd64", "multi-2", "multi-2-amd64",
            ])),
        .init(
            name: "delete.match pr + keep.last 3 keeps the 3 newest PR builds", last: 3, deleteMatch: "^pr-",
            deleted: CleanupLargeRepository.pullRequests(4...15)),
        .init(
            name: "keep.last 10 counts images",
            last: 10,
            deleted: CleanupLargeRepository.pullRequests(7...15).union(CleanupLargeRepository.releases(1...10))
                .union(CleanupLargeRepository.oldIndexes).union(["stable", "sbom", "cache"])),
        .init(
            name: "keep.newerThan + keep.tags + delete.olderThan", keepTags: ["stable"], newerThan: "25d",
            olderThan: "7d",
            deleted: CleanupLargeRepository.pullRequests(9...15).union(CleanupLargeRepository.releases(1...9))
                .union(CleanupLargeRepository.oldIndexes),
            notRemovable: ["v1.10"]),
        .init(
            name: "kept index protects its tagged child", keepTags: ["multi-2"], olderThan: "60d",
            deleted: CleanupLargeRepository.releases(1...6).union(["multi-1", "multi-1-amd64"]),
            notRemovable: ["multi-2-amd64"]),
        .init(
            name: "keep.match + delete.match + keep.last", last: 1, keepMatch: #"^v1\.1\d?$"#, deleteMatch: "^v",
            deleted: CleanupLargeRepository.releases(2...9)),
        .init(
            name: "multi-platform cleanup", last: 1, deleteMatch: "^multi-",
            deleted: CleanupLargeRepository.oldIndexes, notRemovable: ["multi-4-arm64"]),
        .init(
            name: "every rule", last: 3, keepMatch: "^stable$", keepTags: ["v1.1"], newerThan: "12d",
            deleteMatch: "^(v|pr|multi|stable|latest)", olderThan: "3d",
            deleted: CleanupLargeRepository.pullRequests(5...15).union(CleanupLargeRepository.releases(2...9))
                .union(CleanupLargeRepository.oldIndexes).union(["v1.11"]),
            notRemovable: ["v1.10"]),
    ]

    @Test func repositoryHasDozensOfTags() {
        #expect(CleanupLargeRepository.tags.count == 38)
        #expect(Set(CleanupLargeRepository.tags.map(\.tag)).count == 38)
    }

    @Test(arguments: cases)
    func exactSetSurvives(_ policy: CleanupPolicyCase) throws {
        let all = Set(CleanupLargeRepository.tags.map(\.tag))
        let decision = try policy.decide(CleanupLargeRepository.tags)
        #expect(Set(decision.deletions.map(\.tag)) == policy.deleted)
        #expect(Set(decision.notRemovable.map(\.tag)) == policy.notRemovable)
        #expect(Set(decision.kept.map(\.tag)) == all.subtracting(policy.deleted).subtracting(policy.notRemovable))
        #expect(decision.entries.count == all.count)
        // Whatever survives keeps everything it refers to.
        let survivingDigests = Set(decision.entries.filter { $0.action != .delete }.map(\.digest))
        let deletedDigests = Set(decision.deletions.map(\.digest))
        #expect(survivingDigests.isDisjoint(with: deletedDigests))
        for image in CleanupLargeRepository.tags where survivingDigests.contains(image.digest) {
            #expect(image.children.isDisjoint(with: deletedDigests), "\(image.tag) keeps its children")
        }
    }

    @Test func rankingIsNewestFirstWithTiesByName() {
        let ranked = CleanupOrder.newestFirst(CleanupLargeRepository.tags).map(\.tag)
        #expect(
            ranked == [
                "multi-4", "pr-1", "multi-4-arm64", "pr-2", "pr-3", "v1.12", "latest", "pr-4", "pr-5", "pr-6", "v1.11",
                "pr-7", "pr-8", "pr-9", "pr-10", "v1.10", "stable", "pr-11", "pr-12", "pr-13", "v1.9", "pr-14", "pr-15",
                "v1.8", "multi-3", "v1.7", "v1.6", "v1.5", "v1.4", "v1.3", "multi-2-amd64", "multi-2", "v1.2", "v1.1",
                "multi-1-amd64", "multi-1", "sbom", "cache",
            ])
    }

    @Test func deletionsPutIndexesBeforeTheirChildren() throws {
        let decision = try CleanupFixture.decide(
            CleanupLargeRepository.tags, keep: CleanupKeepRules(last: 2),
            delete: CleanupDeleteRules(match: try CleanupFixture.pattern("^multi-")))
        #expect(decision.deletions.map(\.tag) == ["multi-1", "multi-2", "multi-3", "multi-1-amd64", "multi-2-amd64"])
    }

    @Test func noRuleAtAllIsRefused() throws {
        #expect(throws: CleanupRefusal.self) { try CleanupFixture.decide(CleanupLargeRepository.tags) }
        let decision = try CleanupFixture.decide(CleanupLargeRepository.tags, allowEmpty: true)
        #expect(decision.deletions.count == 38)
    }
}
