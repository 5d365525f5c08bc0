import Testing

@testable import Engine

@Suite struct PlanTagPatternTests {
    @Test(arguments: [
        "(a+)+", "(a*)*", "(x+y)*", "((a+))+", "(a{2,})+", "(?:ab+)+$", "([a-z]+)*", "^(\\d+\\.)+$",
        "(a+){2,5}", "(((a)+)b)+", "(a+?)+",
    ])
    func refusesNestedQuantifiers(pattern: String) {
        #expect {
            try TagPattern(pattern)
        } throws: { error in
            String(describing: error).contains("exponential")
        }
    }

    @Test(arguments: [
        "^v[0-9]+", "-rc", "(ab)+", "[(+)]+", "\\(a+\\)+", "(a|b)?", "^(v)?[0-9]+$", "a{1,3}", "(a+)?",
        "(a+){1}", "[]a+]+", "\\Q(a+)+\\E", ".*",
    ])
    func acceptsSafePatterns(pattern: String) throws {
        #expect(try TagPattern(pattern).source == pattern)
    }

    @Test(arguments: ["[a-", "(", "a{2,1}", "*a"])
    func refusesInvalidPatterns(pattern: String) {
        #expect {
            try TagPattern(pattern)
        } throws: { error in
            String(describing: error).contains("not a valid regular expression")
        }
    }

    @Test func refusesOverlongPatterns() throws {
        let longest = String(repeating: "a", count: TagPattern.maximumLength)
        #expect(try TagPattern(longest).source == longest)
        #expect {
            try TagPattern(longest + "a")
        } throws: { error in
            String(describing: error).contains("limit is \(TagPattern.maximumLength)")
        }
    }

    @Test(
        arguments: [
            ("^v[0-9]+", "-rc", "v1.2", true), ("^v[0-9]+", "-rc", "v1.2-rc1", false), ("^v[0-9]+", nil, "1.2", false),
            (nil, "-rc", "1.2", true), (nil, nil, "anything", true), ("^1\\.", "-labeled$", "1.0-labeled", false),
        ] as [(String?, String?, String, Bool)])
    func filterSearchesTags(match: String?, exclude: String?, tag: String, accepted: Bool) throws {
        let filter = TagFilter(
            match: try match.map { try TagPattern($0) }, exclude: try exclude.map { try TagPattern($0) })
        #expect(filter.accepts(tag) == accepted)
    }
}
