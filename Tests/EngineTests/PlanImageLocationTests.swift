import OCI
import Testing

@testable import Engine

@Suite struct PlanImageLocationTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    @Test(arguments: [
        ("oci:./build/app:1.0", "oci:/plans/build/app:1.0", false),
        ("oci:/abs/dir", "oci:/abs/dir", true),
        ("oci:layout@\(digest)", "oci:/plans/layout@\(digest)", false),
        ("oci:~/images/app:1", "oci:/home/user/images/app:1", false),
        ("oci:../shared/app", "oci:/shared/app", true),
        ("oci:app:example.com/team/app:1.0", "oci:/plans/app:example.com/team/app:1.0", false),
        ("docker-archive:img.tar", "docker-archive:/plans/img.tar", false),
        ("docker-archive:img.tar:app:1.0", "docker-archive:/plans/img.tar:app:1.0", false),
        ("docker-archive:/tmp/img.tar:@1", "docker-archive:/tmp/img.tar:@1", false),
        ("docker://127.0.0.1:5000/team/app:1.0", "docker://127.0.0.1:5000/team/app:1.0", false),
        ("127.0.0.1:5000/team/app", "docker://127.0.0.1:5000/team/app", true),
        ("docker://127.0.0.1:5000/team/app", "docker://127.0.0.1:5000/team/app", true),
        ("alpine", "docker://docker.io/library/alpine", true),
        ("registry.example.com/team/app@\(digest)", "docker://registry.example.com/team/app@\(digest)", false),
        ("localhost:5000/app:v2", "docker://localhost:5000/app:v2", false),
    ])
    func parsesTransportSyntax(input: String, canonical: String, isRepository: Bool) throws {
        let location = try ImageLocation(parsing: input, relativeTo: "/plans", homeDirectory: "/home/user")
        #expect(location.description == canonical)
        #expect(location.isRepository == isRepository)
    }

    @Test func keepsTheParts() throws {
        let layout = try ImageLocation(parsing: "oci:build/app:1.0", relativeTo: "/p", homeDirectory: "/h")
        #expect(layout == .layout(directory: "/p/build/app", tag: "1.0", digest: nil))
        let image = try ImageLocation(parsing: "127.0.0.1:5000/team/app:1.0", relativeTo: "/p", homeDirectory: "/h")
        #expect(image == .registry(try Reference(parsing: "127.0.0.1:5000/team/app:1.0")))
        let repository = try ImageLocation(parsing: "127.0.0.1:5000/team/app", relativeTo: "/p", homeDirectory: "/h")
        guard case .repository(let name) = repository else {
            Issue.record("expected a repository, got \(repository)")
            return
        }
        #expect(name.registry == "127.0.0.1:5000")
        #expect(name.repository == "team/app")
        #expect(try name.reference(tag: "v1").description == "127.0.0.1:5000/team/app:v1")
    }

    @Test(arguments: [
        ("oci:", "has no directory"),
        ("oci::1.0", "has no directory"),
        ("oci:dir:bad tag!", "is not valid"),
        ("docker-archive:", "has no file"),
        ("docker-archive:f.tar:@x", "expected @N"),
        ("docker-archive:f.tar:Bad/Name:1", "not a valid image reference"),
        ("docker://", "has no reference"),
        ("dir:/tmp/x", "does not support"),
        ("containers-storage:app:1", "does not support"),
        ("https://example.com/x", "unknown transport \"https://\""),
        ("127.0.0.1:5000/Team/App:1", "upper-case"),
        ("", "empty"),
        ("a b", "whitespace"),
    ])
    func refusesBadLocationsNamingTheInput(input: String, reason: String) {
        #expect {
            try ImageLocation(parsing: input, relativeTo: "/plans", homeDirectory: "/home/user")
        } throws: { error in
            let description = String(describing: error)
            return description.hasPrefix("\"\(input)\"") && description.contains(reason)
        }
    }

    @Test(arguments: [("team/app", false), ("team/app:1", true), ("host:5000/app", false), ("app@x", true)])
    func detectsWrittenTags(text: String, hasTagOrDigest: Bool) {
        #expect(ReferenceSyntax.hasTagOrDigest(text) == hasTagOrDigest)
    }
}
