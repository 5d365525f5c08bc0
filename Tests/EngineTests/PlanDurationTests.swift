import Testing

@testable import Engine

@Suite struct PlanDurationTests {
    @Test(
        arguments: [
            ("1s", 1000), ("90m", 5_400_000), ("30d", 2_592_000_000), ("2h30m", 9_000_000), ("500ms", 500),
            ("1w", 604_800_000), ("0s", 0), ("1m30s", 90_000), ("1h0m5s", 3_605_000), ("366d", 31_622_400_000),
        ] as [(String, Int64)])
    func parsesPlanSyntax(text: String, milliseconds: Int64) throws {
        let duration = try PlanDuration(parsing: text)
        #expect(duration.milliseconds == milliseconds)
        #expect(duration.seconds == Double(milliseconds) / 1000)
    }

    @Test(arguments: [
        ("", "empty"), ("1", "without a unit"), ("s", "without a number"), ("1x", "not a duration"),
        ("-1s", "negative"), ("1.5s", "not a duration"), ("30m2h", "smaller unit"), ("1s1s", "repeats"),
        ("367d", "longer than a year"), ("99999999999999999999d", "longer than a year"), (" 1s", "not a duration"),
        ("53w", "longer than a year"),
    ])
    func refusesBadDurations(text: String, reason: String) {
        #expect {
            try PlanDuration(parsing: text)
        } throws: { error in
            let description = String(describing: error)
            return description.contains(reason) && description.contains("\"\(text)\"")
        }
    }

    @Test(arguments: ["1s", "1h30m", "2h30m", "1w2d3h4m5s6ms", "0s"])
    func descriptionRoundTrips(text: String) throws {
        let duration = try PlanDuration(parsing: text)
        #expect(duration.description == text)
        #expect(try PlanDuration(parsing: duration.description) == duration)
    }

    @Test func describesInTheLargestUnits() throws {
        #expect(try PlanDuration(parsing: "90m").description == "1h30m")
        #expect(try PlanDuration(parsing: "1500ms").description == "1s500ms")
    }

    @Test func ordersBySpan() throws {
        #expect(try PlanDuration(parsing: "59s") < PlanDuration(parsing: "1m"))
        #expect(try PlanDuration(parsing: "60s") == PlanDuration(parsing: "1m"))
    }
}
