import Testing

@testable import Registry

@Suite struct AuthChallengeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let header: String
        let expected: [AuthChallenge]
        var testDescription: String { header }
    }

    static let cases: [Case] = [
        Case(
            header:
                #"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
            expected: [
                AuthChallenge(
                    scheme: "bearer",
                    parameters: [
                        "realm": "https://auth.example/token", "service": "registry.example",
                        "scope": "repository:a/b:pull",
                    ]
                )
            ]
        ),
        Case(
            header: #"Basic realm="Registry Realm""#,
            expected: [AuthChallenge(scheme: "basic", parameters: ["realm": "Registry Realm"])]),
        Case(
            header: #"BEARER Realm="r", SERVICE=svc"#,
            expected: [AuthChallenge(scheme: "bearer", parameters: ["realm": "r", "service": "svc"])]
        ),
        Case(
            header: #"Bearer realm="r",scope="repository:a:pull,push repository:b:pull""#,
            expected: [
                AuthChallenge(
                    scheme: "bearer", parameters: ["realm": "r", "scope": "repository:a:pull,push repository:b:pull"])
            ]
        ),
        Case(
            header: #"Bearer realm="say \"hi\", then \\ go", error="insufficient_scope""#,
            expected: [
                AuthChallenge(
                    scheme: "bearer", parameters: ["realm": #"say "hi", then \ go"#, "error": "insufficient_scope"])
            ]
        ),
        Case(
            header: #"Basic realm="a", Bearer realm="b",service="c""#,
            expected: [
                AuthChallenge(scheme: "basic", parameters: ["realm": "a"]),
                AuthChallenge(scheme: "bearer", parameters: ["realm": "b", "service": "c"]),
            ]
        ),
        Case(
            header: "Negotiate abc+/d==, Basic realm=x",
            expected: [
                AuthChallenge(scheme: "negotiate", token68: "abc+/d=="),
                AuthChallenge(scheme: "basic", parameters: ["realm": "x"]),
            ]
        ),
        Case(
            header: #"Bearer, Basic realm="x""#,
            expected: [AuthChallenge(scheme: "bearer"), AuthChallenge(scheme: "basic", parameters: ["realm": "x"])]
        ),
        Case(
            header: "  Bearer   realm = \"r\" ,  ,service=s  ",
            expected: [AuthChallenge(scheme: "bearer", parameters: ["realm": "r", "service": "s"])]),
        Case(header: "", expected: []),
        Case(
            header: #"Bearer realm="unterminated"#,
            expected: [AuthChallenge(scheme: "bearer", parameters: ["realm": "unterminated"])]),
    ]

    @Test(arguments: cases)
    func parsesHeader(_ testCase: Case) {
        #expect(AuthChallenge.parse(testCase.header) == testCase.expected)
    }

    @Test func accessorsReadLowerCasedParameters() throws {
        let challenge = try #require(AuthChallenge.parse(#"Bearer REALM="r",Service="s",Scope="x""#).first)
        #expect(challenge.realm == "r")
        #expect(challenge.service == "s")
        #expect(challenge.scope == "x")
    }
}

@Suite struct ScopeTests {
    @Test(arguments: [
        (["repository:a/b:push,pull"], "repository:a/b:pull", true),
        (["repository:a/b:pull"], "repository:a/b:push,pull", false),
        (["repository:a/b:pull"], "repository:a/c:pull", false),
        (["repository:a/b:push,pull", "repository:src:pull"], "repository:a/b:push repository:src:pull", true),
        (["repository:host:5000/x:pull"], "repository:host:5000/x:pull", true),
        (["registry:catalog:*"], "registry:catalog:*", true),
    ])
    func challengeScopeIsCoveredOnlyByAsMuchOrMore(requested: [String], challenge: String, covered: Bool) {
        #expect(Scope.covers(requested, challenge) == covered)
    }
}
