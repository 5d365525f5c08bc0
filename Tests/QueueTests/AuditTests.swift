import Foundation
import Testing

@testable import Queue

@Suite struct AuditTests {
    private static let start = Date(timeIntervalSince1970: 1_700_000_000)

    private static func at(_ seconds: TimeInterval) -> Date { start.addingTimeInterval(seconds) }

    /// Four steps of three jobs, finished 10 s apart (at +10, +20, +30, +40).
    private static func makeHistory() async throws -> (fixture: QueueFixture, keys: [StepID: String]) {
        let fixture = try await QueueFixture()
        let ids = try await fixture.store.insertSteps(
            [
                NewStep(key: "load:a", jobID: "import", kind: .load, source: "oci:./build:a"),
                NewStep(key: "push:a", jobID: "import", kind: .push, target: "registry.example.com/team/app:1.0"),
                NewStep(key: "delete:old", jobID: "retire", kind: .delete, target: "registry.example.com/team/app:0.9"),
                NewStep(
                    key: "push:m", jobID: "migrate", kind: .push, source: "old.example.com/team/x:1",
                    target: "new.example.com/team/x:1"),
            ], into: fixture.run)
        let finishes: [(String, StepOutcome, StepReport)] = [
            ("load:a", .succeeded, StepReport(digest: "sha256:aaa1", size: 100)),
            (
                "push:a", .succeeded,
                StepReport(
                    result: Data(#"{"pushed":true}"#.utf8), digest: "sha256:aaa1",
                    mediaType: "application/vnd.oci.image.manifest.v1+json", size: 100,
                    details: Data(#"{"layers":3}"#.utf8))
            ),
            ("delete:old", .failed, StepReport(error: "the tag now points at sha256:ccc3")),
            ("push:m", .skipped, StepReport(digest: "sha256:bbb2", error: "already present")),
        ]
        for (key, outcome, report) in finishes {
            fixture.clock.advance(by: 10)
            try await fixture.finish(key, outcome, report)
        }
        return (fixture, Dictionary(uniqueKeysWithValues: ids.map { ($1, $0) }))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let filter: AuditFilter
        let expected: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "everything", filter: AuditFilter(), expected: ["load:a", "push:a", "delete:old", "push:m"]),
        Case(name: "unknown run", filter: AuditFilter(run: RunID(rawValue: 999)), expected: []),
        Case(name: "job", filter: AuditFilter(job: "import"), expected: ["load:a", "push:a"]),
        Case(name: "op", filter: AuditFilter(op: .push), expected: ["push:a", "push:m"]),
        Case(
            name: "glob on target", filter: AuditFilter(refGlob: "registry.example.com/team/*"),
            expected: ["push:a", "delete:old"]),
        Case(name: "glob on source", filter: AuditFilter(refGlob: "old.example.com/*"), expected: ["push:m"]),
        Case(name: "digest", filter: AuditFilter(digest: "sha256:aaa1"), expected: ["load:a", "push:a"]),
        Case(name: "digest prefix", filter: AuditFilter(digest: "sha256:bb"), expected: ["push:m"]),
        Case(name: "since", filter: AuditFilter(since: at(20)), expected: ["push:a", "delete:old", "push:m"]),
        Case(name: "until", filter: AuditFilter(until: at(20)), expected: ["load:a"]),
        Case(name: "window", filter: AuditFilter(since: at(15), until: at(35)), expected: ["push:a", "delete:old"]),
        Case(name: "outcome", filter: AuditFilter(outcome: .failed), expected: ["delete:old"]),
        Case(name: "op and outcome", filter: AuditFilter(op: .push, outcome: .skipped), expected: ["push:m"]),
        Case(name: "limit", filter: AuditFilter(limit: 2), expected: ["load:a", "push:a"]),
    ]

    @Test(arguments: cases)
    func filters(_ testCase: Case) async throws {
        let (fixture, keys) = try await Self.makeHistory()
        var filter = testCase.filter
        if filter.run == nil { filter.run = fixture.run }
        let records = try await fixture.store.audit(filter)
        #expect(records.map { $0.stepID.flatMap { keys[$0] } } == testCase.expected)
    }

    @Test func aRecordHoldsWhatHappened() async throws {
        let (fixture, keys) = try await Self.makeHistory()
        let records = try await fixture.store.audit(AuditFilter(job: "import", op: .push))
        let record = try #require(records.first)
        #expect(records.count == 1)
        #expect(record.stepID.flatMap { keys[$0] } == "push:a")
        #expect(record.runID == fixture.run)
        #expect(record.target == "registry.example.com/team/app:1.0")
        #expect(record.source == nil)
        #expect(record.digest == "sha256:aaa1")
        #expect(record.mediaType == "application/vnd.oci.image.manifest.v1+json")
        #expect(record.size == 100)
        #expect(record.outcome == .succeeded)
        #expect(record.attempts == 1)
        #expect(record.startedAt == Self.at(20))
        #expect(record.endedAt == Self.at(20))
        #expect(record.details == Data(#"{"layers":3}"#.utf8))
        let stepID = try #require(record.stepID)
        let step = try #require(try await fixture.store.step(stepID))
        #expect(step.result == Data(#"{"pushed":true}"#.utf8))
    }

    @Test func aNegativeLimitIsRefused() async throws {
        let fixture = try await QueueFixture()
        let error = await #expect(throws: QueueError.self) { try await fixture.store.audit(AuditFilter(limit: -1)) }
        #expect(error?.code == .invalidArgument)
    }

    @Test(arguments: [0.0, 0.001, 1_700_000_000.25, 4_102_444_799.999])
    func timestampsRoundTripAndSortAsText(seconds: TimeInterval) {
        let date = Date(timeIntervalSince1970: seconds)
        let text = Timestamp.text(date)
        #expect(text.utf8.count == 24)
        #expect(Timestamp.date(text).map { abs($0.timeIntervalSince(date)) < 0.001 } == true)
        #expect(Timestamp.text(date.addingTimeInterval(0.001)) > text)
    }

    @Test func timestampTextIsUTC() {
        #expect(Timestamp.text(Date(timeIntervalSince1970: 1_700_000_000.25)) == "2023-11-14T22:13:20.250Z")
        #expect(Timestamp.date("not a time") == nil)
    }
}
