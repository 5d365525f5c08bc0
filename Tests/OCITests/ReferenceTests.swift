import OCI
import Testing

@Suite struct ReferenceTests {
    static let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    struct Case: Sendable, CustomTestStringConvertible {
        let input: String
        let registry: String
        let repository: String
        let tag: String?
        let digest: String?
        let description: String
        var testDescription: String { input }
    }

    static let valid: [Case] = [
        Case(
            input: "alpine", registry: "docker.io", repository: "library/alpine", tag: "latest", digest: nil,
            description: "docker.io/library/alpine:latest"),
        Case(
            input: "alpine:3.19", registry: "docker.io", repository: "library/alpine", tag: "3.19", digest: nil,
            description: "docker.io/library/alpine:3.19"),
        Case(
            input: "docker.io/alpine", registry: "docker.io", repository: "library/alpine", tag: "latest",
            digest: nil, description: "docker.io/library/alpine:latest"),
        Case(
            input: "index.docker.io/library/alpine:edge", registry: "docker.io", repository: "library/alpine",
            tag: "edge", digest: nil, description: "docker.io/library/alpine:edge"),
        Case(
            input: "registry-1.docker.io/team/app:v1", registry: "docker.io", repository: "team/app", tag: "v1",
            digest: nil, description: "docker.io/team/app:v1"),
        Case(
            input: "somehost/image:tag", registry: "docker.io", repository: "somehost/image", tag: "tag",
            digest: nil, description: "docker.io/somehost/image:tag"),
        Case(
            input: "localhost/app", registry: "localhost", repository: "app", tag: "latest", digest: nil,
            description: "localhost/app:latest"),
        Case(
            input: "localhost:5000/a/b/c:1.0", registry: "localhost:5000", repository: "a/b/c", tag: "1.0",
            digest: nil, description: "localhost:5000/a/b/c:1.0"),
        Case(
            input: "127.0.0.1:5000/test/img:v1", registry: "127.0.0.1:5000", repository: "test/img", tag: "v1",
            digest: nil, description: "127.0.0.1:5000/test/img:v1"),
        Case(
            input: "[::1]:5000/x", registry: "[::1]:5000", repository: "x", tag: "latest", digest: nil,
            description: "[::1]:5000/x:latest"),
        Case(
            input: "[2001:db8::1]/ns/x:t", registry: "[2001:db8::1]", repository: "ns/x", tag: "t", digest: nil,
            description: "[2001:db8::1]/ns/x:t"),
        Case(
            input: "ghcr.io/org/deep/path/name:v_1-2.3", registry: "ghcr.io", repository: "org/deep/path/name",
            tag: "v_1-2.3", digest: nil, description: "ghcr.io/org/deep/path/name:v_1-2.3"),
        Case(
            input: "Quay.IO/a/b", registry: "Quay.IO", repository: "a/b", tag: "latest", digest: nil,
            description: "Quay.IO/a/b:latest"),
        Case(
            input: "ubuntu@sha256:\(hex)", registry: "docker.io", repository: "library/ubuntu", tag: nil,
            digest: "sha256:\(hex)", description: "docker.io/library/ubuntu@sha256:\(hex)"),
        Case(
            input: "us.icr.io/ns/app:1.2@sha256:\(hex)", registry: "us.icr.io", repository: "ns/app", tag: "1.2",
            digest: "sha256:\(hex)", description: "us.icr.io/ns/app:1.2@sha256:\(hex)"),
        Case(
            input: "my-registry.example.com:443/a__b/c.d/e-f--g", registry: "my-registry.example.com:443",
            repository: "a__b/c.d/e-f--g", tag: "latest", digest: nil,
            description: "my-registry.example.com:443/a__b/c.d/e-f--g:latest"),
        Case(
            input: "localhost:5000", registry: "docker.io", repository: "library/localhost", tag: "5000",
            digest: nil, description: "docker.io/library/localhost:5000"),
        Case(
            input: "a:\(String(repeating: "t", count: 128))", registry: "docker.io", repository: "library/a",
            tag: String(repeating: "t", count: 128), digest: nil,
            description: "docker.io/library/a:\(String(repeating: "t", count: 128))"),
    ]

    @Test(arguments: valid) func parsesValidReferences(testCase: Case) throws {
        let reference = try Reference(parsing: testCase.input)
        #expect(reference.registry == testCase.registry)
        #expect(reference.repository == testCase.repository)
        #expect(reference.tag == testCase.tag)
        #expect(reference.digest?.description == testCase.digest)
        #expect(reference.description == testCase.description)
        #expect(reference.name == "\(testCase.registry)/\(testCase.repository)")
        // The normalised form parses back to the same reference.
        #expect(try Reference(parsing: reference.description) == reference)
    }

    @Test(arguments: [
        ("", "it is empty"),
        ("docker.io/feqlQoDIHc/bcfHFHHXYF", "repository names must be lower case"),
        ("Alpine", "repository names must be lower case"),
        ("ghcr.io/Org/app:v1", "repository names must be lower case"),
        ("alpine:", "tag \"\""),
        ("alpine:-bad", "tag \"-bad\""),
        ("alpine:\(String(repeating: "t", count: 129))", "must match"),
        ("alpine@sha256:abc", "not a valid digest"),
        ("alpine@sha256:\(hex)@sha256:\(hex)", "more than one '@'"),
        ("a//b", "repository component \"\""),
        ("a/b/", "repository component \"\""),
        ("-a", "repository component \"-a\""),
        ("a..b", "repository component \"a..b\""),
        ("a___b", "repository component \"a___b\""),
        ("example.com:99999/a", "invalid port"),
        ("example.com:/a", "invalid port"),
        ("[::1/a", "without a closing"),
        ("[zz]/a", "IPv6"),
        ("bad_host.com/a", "not a valid host name"),
        ("-bad.com/a", "not a valid host name"),
        ("with space", "whitespace"),
        (":tag", "repository name is missing"),
        ("docker.io/", "repository component \"\""),
        (String(repeating: "a", count: 256), "longer than 255"),
    ])
    func rejectsInvalidReferences(input: String, problem: String) {
        #expect {
            try Reference(parsing: input)
        } throws: { error in
            guard let error = error as? OCIError else { return false }
            return error.kind == .invalidReference && error.message.contains("\"\(input)\"")
                && error.message.contains(problem)
        }
    }

    @Test func dockerHubAliasesAreOneRegistry() throws {
        let names = [
            "alpine", "docker.io/library/alpine", "index.docker.io/alpine", "registry-1.docker.io/library/alpine",
        ]
        let references = try names.map { try Reference(parsing: $0) }
        #expect(Set(references).count == 1)
        #expect(references.allSatisfy { $0.isDockerHub && $0.apiHost == "registry-1.docker.io" })
        #expect(try Reference(parsing: "ghcr.io/a/b").apiHost == "ghcr.io")
    }

    @Test func manifestIdentifierPrefersTheDigest() throws {
        let both = try Reference(parsing: "r.io/a:v1@sha256:\(Self.hex)")
        #expect(both.manifestIdentifier == "sha256:\(Self.hex)")
        #expect(both.tag == "v1")
        #expect(try Reference(parsing: "r.io/a:v1").manifestIdentifier == "v1")
    }

    @Test func withTagAndWithDigest() throws {
        let digest = try Digest(parsing: "sha256:\(Self.hex)")
        let base = try Reference(parsing: "r.io/a:v1@sha256:\(Self.hex)")
        let retagged = try base.withTag("v2")
        #expect(retagged.description == "r.io/a:v2")
        #expect(retagged.digest == nil)
        #expect(try Reference(parsing: "r.io/a:v1").withDigest(digest).description == "r.io/a:v1@sha256:\(Self.hex)")
        #expect(throws: OCIError.self) { try base.withTag("no/slash") }
    }

    @Test func buildsFromParts() throws {
        let reference = try Reference(registry: "localhost:5000", repository: "x/y", tag: "t")
        #expect(reference.description == "localhost:5000/x/y:t")
        #expect(throws: OCIError.self) { try Reference(registry: "localhost:5000", repository: "X") }
    }
}
