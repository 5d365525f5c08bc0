import Foundation
import ImageTransports
import OCI
import TestSupport
import Testing

@testable import Registry

/// Delete providers: the standard API on a real registry; Docker Hub with the real registry
/// standing in for Hub's and a fake Hub API; IBM Cloud against fakes of IAM and its image API.
@Suite struct RegistryDeleteTests {
    /// Pushes `image` to `reference` (through whatever endpoint the session maps its registry to).
    private func push(_ image: OCITestImage, to reference: String, session: RegistrySession) async throws {
        let layout = try LayoutScratchDirectory()
        try LayoutFixtures.writeLayout([LayoutFixtures.Entry(image, refName: "x")], to: layout.path)
        let target = try Reference(parsing: reference)
        _ = try await ImageCopier().copy(
            from: try OCILayoutSource(directory: layout.path, tag: "x"),
            to: RegistryRepository(session: session, reference: target), tag: target.tag)
    }

    @Test(arguments: [
        ("docker.io", "hub"), ("index.docker.io", "hub"), ("registry-1.docker.io", "hub"), ("notdocker.io", "standard"),
        ("icr.io", "ibm"), ("de.icr.io", "ibm"), ("stg.icr.io", "ibm"), ("myicr.io", "standard"),
        ("icr.io.example.com", "standard"), ("127.0.0.1:5000", "standard"),
    ])
    func providerIsChosenByExactHost(registry: String, expected: String) throws {
        let deleter = RegistryDeleter(session: RegistrySession())
        let provider = deleter.provider(for: try Reference(parsing: "\(registry)/team/app:v1"))
        let kind =
            switch provider {
            case is DockerHubDeleteProvider: "hub"
            case is IBMCloudDeleteProvider: "ibm"
            default: "standard"
            }
        #expect(kind == expected)
    }

    @Test func emptyImageMatchesTheSeedBytes() {
        #expect(EmptyImage.configBytes.count == 115)
        #expect(
            EmptyImage.configDescriptor.digest.description
                == "sha256:5b943e2b943f6c81dbbd4e2eca5121f4fcc39139e3d1219d6d89bd925b77d9fe")
        #expect(EmptyImage.manifest.size == 264)
        #expect(
            EmptyImage.manifest.digest.description
                == "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4")
    }

    @Test func standardDeleteResolvesTheTagAndDeletesByDigest() async throws {
        let session = try RegistryTestSessions.session(.plain)
        let address = try TestServices.registry(.plain).address
        let repository = RegistryTestSessions.uniqueRepository("delete")
        let image = try OCITestImages.image(seed: 81)
        try await push(image, to: "\(address)/\(repository):v1", session: session)
        let deleter = RegistryDeleter(session: session)
        let reference = try Reference(parsing: "\(address)/\(repository):v1")
        let planned = try await deleter.plan(reference)
        #expect(
            planned == [
                .deleteManifest(registry: address, repository: repository, digest: image.rootDigest, tags: ["v1"])
            ]
        )
        // Planning changed nothing.
        #expect(try await session.client(for: address).headManifest(repository, .tag("v1")) != nil)
        try await deleter.delete(reference)
        #expect(try await session.client(for: address).headManifest(repository, .digest(image.rootDigest)) == nil)
        let again = await #expect(throws: RegistryError.self) { try await deleter.delete(reference) }
        #expect(again?.kind == .notFound)
    }

    /// Pushes one image under every tag of `tags` in a new repository; returns the repository.
    private func pushTagged(_ tags: [String], seed: UInt64, session: RegistrySession) async throws -> (
        repository: String, image: OCITestImage
    ) {
        let address = try TestServices.registry(.plain).address
        let repository = RegistryTestSessions.uniqueRepository("delete-shared")
        let image = try OCITestImages.image(seed: seed)
        for tag in tags { try await push(image, to: "\(address)/\(repository):\(tag)", session: session) }
        return (repository, image)
    }

    @Test func tagSharingItsDigestWithAnotherTagIsNotDeleted() async throws {
        let session = try RegistryTestSessions.session(.plain)
        let address = try TestServices.registry(.plain).address
        let (repository, image) = try await pushTagged(["1.0", "2.0", "latest"], seed: 82, session: session)
        let deleter = RegistryDeleter(session: session)
        for reference in ["\(address)/\(repository):1.0", "\(address)/\(repository):1.0@\(image.rootDigest)"] {
            let error = await #expect(throws: RegistryError.self) {
                try await deleter.delete(try Reference(parsing: reference), alongWith: ["latest"])
            }
            #expect(error?.isRetryable == false)
            #expect(
                error?.message
                    == "not deleted: \(image.rootDigest) is also tagged 2.0 in \(address)/\(repository); deleting it "
                    + "would remove those tags too (delete them together, or retag first)")
        }
        #expect(try await session.client(for: address).listTags(repository) == ["1.0", "2.0", "latest"])
    }

    @Test func tagsDeletedTogetherGoOnceAndTheLaterOnesFindThemGone() async throws {
        let session = try RegistryTestSessions.session(.plain)
        let address = try TestServices.registry(.plain).address
        let (repository, image) = try await pushTagged(["1.0", "2.0"], seed: 83, session: session)
        let deleter = RegistryDeleter(session: session)
        let first = try Reference(parsing: "\(address)/\(repository):1.0")
        let planned = try await deleter.plan(first, alongWith: ["2.0"])
        #expect(
            planned == [
                .deleteManifest(
                    registry: address, repository: repository, digest: image.rootDigest, tags: ["1.0", "2.0"])
            ])
        #expect(
            planned.map(\.description) == [
                "delete manifest \(address)/\(repository)@\(image.rootDigest) with its tags 1.0, 2.0"
            ])
        try await deleter.delete(first, alongWith: ["2.0"])
        #expect(try await session.client(for: address).listTags(repository).isEmpty)
        // The second tag, by name or pinned to the digest as the queue does, is already gone.
        for later in ["\(address)/\(repository):2.0", "\(address)/\(repository):2.0@\(image.rootDigest)"] {
            let error = await #expect(throws: RegistryError.self) {
                try await deleter.delete(try Reference(parsing: later), alongWith: ["1.0"])
            }
            #expect(error?.kind == .notFound)
        }
    }

    @Test func deleteByDigestIsAllowedAndNamesTheTagsThatGo() async throws {
        let session = try RegistryTestSessions.session(.plain)
        let address = try TestServices.registry(.plain).address
        let (repository, image) = try await pushTagged(["a", "b"], seed: 84, session: session)
        let deleter = RegistryDeleter(session: session)
        let reference = try Reference(parsing: "\(address)/\(repository)@\(image.rootDigest)")
        #expect(
            try await deleter.plan(reference).map(\.description) == [
                "delete manifest \(address)/\(repository)@\(image.rootDigest) with its tags a, b"
            ])
        try await deleter.delete(reference)
        #expect(try await session.client(for: address).headManifest(repository, .digest(image.rootDigest)) == nil)
        let again = await #expect(throws: RegistryError.self) { try await deleter.delete(reference) }
        #expect(again?.kind == .notFound)
        #expect(again.map(String.init(describing:))?.contains("manifest \(image.rootDigest) does not exist") == true)
    }

    /// A session where `docker.io` is the plain test registry and Hub's web API is `hub`.
    private func hubSession(_ hub: HubFakeAPI, password: String = "hub-password") throws -> RegistrySession {
        let plain = try TestServices.registry(.plain).address
        var configuration = RegistryConfiguration(insecureRegistries: ["http://" + plain, "http://" + hub.address])
        configuration.endpoints = ["docker.io": plain]
        configuration.credentials = ["docker.io": Credentials(username: "hub-user", password: password)]
        return RegistrySession(configuration: configuration)
    }

    @Test func hubOverwritesOnlyTheNamedTagAmongSeveral() async throws {
        let hub = try HubFakeAPI(username: "hub-user", password: "hub-password")
        let session = try hubSession(hub)
        let repository = RegistryTestSessions.uniqueRepository("hub")
        let first = try OCITestImages.image(seed: 91)
        let second = try OCITestImages.image(seed: 92)
        for tag in ["a", "b", "latest"] {
            try await push(first, to: "docker.io/\(repository):\(tag)", session: session)
        }
        try await push(second, to: "docker.io/\(repository):c", session: session)
        let deleter = RegistryDeleter(session: session, dockerHubAPI: hub.baseURL)
        let client = session.client(for: "docker.io")

        let actions = try await deleter.delete(try Reference(parsing: "docker.io/\(repository):a"))
        let empty = EmptyImage.manifest.digest
        #expect(actions == [.overwriteTag(registry: "docker.io", repository: repository, tag: "a", emptyImage: empty)])
        #expect(try await client.headManifest(repository, .tag("a"))?.digest == empty)
        #expect(try await client.headManifest(repository, .tag("b"))?.digest == first.rootDigest)
        #expect(try await client.headManifest(repository, .tag("latest"))?.digest == first.rootDigest)

        // By digest: exactly the tags pointing at it (c), never latest.
        let byDigest = try await deleter.delete(try Reference(parsing: "docker.io/\(repository)@\(second.rootDigest)"))
        #expect(byDigest == [.overwriteTag(registry: "docker.io", repository: repository, tag: "c", emptyImage: empty)])
        #expect(try await client.headManifest(repository, .tag("latest"))?.digest == first.rootDigest)
        #expect(hub.deletedRepositories.isEmpty)
        #expect(hub.requests.isEmpty)
    }

    @Test func hubDeletesTheRepositoryOnlyWhenItsSingleTagIsTheOneDeleted() async throws {
        let hub = try HubFakeAPI(username: "hub-user", password: "hub-password")
        let session = try hubSession(hub)
        let repository = RegistryTestSessions.uniqueRepository("hub-solo")
        try await push(try OCITestImages.image(seed: 93), to: "docker.io/\(repository):only", session: session)
        let deleter = RegistryDeleter(session: session, dockerHubAPI: hub.baseURL)

        let other = await #expect(throws: RegistryError.self) {
            try await deleter.delete(try Reference(parsing: "docker.io/\(repository):other"))
        }
        #expect(other?.kind == .notFound)
        #expect(hub.deletedRepositories.isEmpty)

        let reference = try Reference(parsing: "docker.io/\(repository):only")
        #expect(try await deleter.plan(reference) == [.deleteRepository(registry: "docker.io", repository: repository)])
        #expect(hub.deletedRepositories.isEmpty)
        try await deleter.delete(reference)
        #expect(hub.deletedRepositories == [repository])
        let login = try #require(hub.requests.first)
        #expect(login.header("Content-Type") == "application/json")
    }

    @Test func hubLoginFailureIsUnauthorizedWithoutThePassword() async throws {
        let hub = try HubFakeAPI(username: "hub-user", password: "hub-password")
        let session = try hubSession(hub, password: "not-the-password-123")
        let repository = RegistryTestSessions.uniqueRepository("hub-login")
        try await push(try OCITestImages.image(seed: 94), to: "docker.io/\(repository):only", session: session)
        let error = await #expect(throws: RegistryError.self) {
            try await RegistryDeleter(session: session, dockerHubAPI: hub.baseURL)
                .delete(try Reference(parsing: "docker.io/\(repository):only"))
        }
        #expect(error?.kind == .unauthorized)
        #expect(error?.description.contains("Incorrect authentication credentials") == true)
        #expect(error?.description.contains("not-the-password-123") == false)
    }

    private func ibmSession(_ fake: IBMFakeAPI, user: String = "iamapikey", key: String) -> RegistrySession {
        var configuration = RegistryConfiguration(insecureRegistries: ["http://" + fake.address])
        configuration.credentials = ["us.icr.io": Credentials(username: user, password: key)]
        return RegistrySession(configuration: configuration)
    }

    @Test func ibmDeleteExchangesTheKeyAndEscapesTheReference() async throws {
        let key = "key+with/special=chars&more"
        let fake = try IBMFakeAPI(apiKey: key)
        let deleter = RegistryDeleter(
            session: ibmSession(fake, key: key), ibmIAM: fake.baseURL, ibmRegistryAPI: fake.baseURL)
        let reference = try Reference(parsing: "us.icr.io/team/app:1.0")
        #expect(try await deleter.plan(reference) == [.deleteImage(reference: "us.icr.io/team/app:1.0")])
        try await deleter.delete(reference)
        #expect(fake.deletedReferences == ["us.icr.io/team/app:1.0"])
        let delete = try #require(fake.requests.last)
        #expect(delete.path == "/api/v1/images/us.icr.io%2Fteam%2Fapp%3A1.0")

        let digest = Digest.sha256(Data("x".utf8))
        try await deleter.delete(try Reference(parsing: "us.icr.io/team/app@\(digest)"))
        #expect(fake.deletedReferences.last == "us.icr.io/team/app@\(digest)")
    }

    @Test func ibmRefusedKeyAndWrongUserAreUnauthorized() async throws {
        let fake = try IBMFakeAPI(apiKey: "right-key")
        let wrongKey = RegistryDeleter(
            session: ibmSession(fake, key: "wrong-key-456"), ibmIAM: fake.baseURL, ibmRegistryAPI: fake.baseURL)
        let refused = await #expect(throws: RegistryError.self) {
            try await wrongKey.delete(try Reference(parsing: "us.icr.io/team/app:1"))
        }
        #expect(refused?.kind == .unauthorized)
        #expect(refused?.description.contains("BXNIM0415E") == true)
        #expect(refused?.description.contains("wrong-key-456") == false)

        let notAKey = RegistryDeleter(
            session: ibmSession(fake, user: "someone", key: "right-key"), ibmIAM: fake.baseURL,
            ibmRegistryAPI: fake.baseURL)
        let wrongUser = await #expect(throws: RegistryError.self) {
            try await notAKey.delete(try Reference(parsing: "us.icr.io/team/app:1"))
        }
        #expect(wrongUser?.kind == .unauthorized)
        #expect(fake.deletedReferences.isEmpty)
    }

    @Test(
        arguments: [
            (#"{"account":{"bss":"abc123"}}"#, "abc123"), (#"{"account.bss":"flat"}"#, "flat"),
            (#"{"account":{}}"#, nil),
        ] as [(String, String?)])
    func accountIDIsReadFromTheJWT(claims: String, expected: String?) {
        let payload = Data(claims.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        #expect(IBMCloudDeleteProvider.accountID(fromJWT: "eyJhbGciOiJSUzI1NiJ9.\(payload).sig") == expected)
    }
}
