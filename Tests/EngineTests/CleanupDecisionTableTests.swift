import Engine
import Foundation
import OCI
import Testing

/// The `--dry-run` table: tag, short digest, created, rule, action.
@Suite struct CleanupDecisionTableTests {
    @Test func rendersEveryEntryNewestFirst() throws {
        let tags = [
            CleanupFixture.image("v1", 40), CleanupFixture.image("latest", 1, image: "v2"),
            CleanupFixture.image("v2", 1), CleanupFixture.image("cache", nil),
        ]
        let decision = try CleanupFixture.decide(tags, keep: CleanupKeepRules(tags: ["latest"]))
        let short = { (name: String) in CleanupDecisionTable.shortDigest(CleanupFixture.digest(name)) }
        let created1 = CleanupDecisionTable.formatDate(CleanupFixture.daysAgo(1))
        let created40 = CleanupDecisionTable.formatDate(CleanupFixture.daysAgo(40))
        #expect(
            CleanupDecisionTable.rows(decision) == [
                ["v2", short("v2"), created1, "digest shared with kept tag latest", "not removable"],
                ["latest", short("v2"), created1, "keep.tags", "keep"],
                ["v1", short("v1"), created40, "no delete rule and no keep rule protects it", "delete"],
                ["cache", short("cache"), "unknown", "no delete rule and no keep rule protects it", "delete"],
            ])
        let lines = CleanupDecisionTable.render(decision).split(separator: "\n").map(String.init)
        #expect(lines.first == "registry.test/app:")
        #expect(lines[1].hasPrefix("TAG     DIGEST               CREATED               RULE"))
        #expect(lines[3].hasPrefix("latest  \(short("v2"))  \(created1)  keep.tags"))
        #expect(lines.last == "1 keep, 2 delete, 1 not removable")
        #expect(lines.count == 7)
    }

    @Test func shortDigestAndDate() throws {
        let digest = try Digest(parsing: "sha256:" + String(repeating: "ab", count: 32))
        #expect(CleanupDecisionTable.shortDigest(digest) == "sha256:abababababab")
        #expect(CleanupDecisionTable.formatDate(Date(timeIntervalSince1970: 1_714_564_800)) == "2024-05-01T12:00:00Z")
    }
}
