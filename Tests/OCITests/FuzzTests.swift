import Foundation
import OCI
import TestSupport
import Testing

/// Seeded mutation fuzzing of the parsers that read what users and registries send: each mangled
/// input either parses (and then round-trips) or is refused with an `OCIError`, never a crash or a
/// hang. Bounded to `OCIBATCH_FUZZ_ITERATIONS` inputs (default 3,000) or 10 s per seed.
@Suite struct FuzzTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    static let references = [
        "alpine", "library/alpine:3.19", "docker.io/library/alpine:3.19", "127.0.0.1:5000/team/app:v1",
        "ghcr.io/a/b@\(digest)", "[::1]:5000/x/y:z", "localhost/x", "r.example/a/b:c@\(digest)",
        "registry-1.docker.io/user/repo:tag_1.2-rc", "a.b.c:443/d/e/f/g/h:" + String(repeating: "t", count: 128),
    ]

    static func documents() throws -> [Data] {
        [
            try OCITestImages.image(seed: 1).rootBytes,
            try OCITestImages.image(seed: 2, annotations: ["a": "b"], flavor: .docker).rootBytes,
            try OCITestImages.index(seed: 3).rootBytes,
            try OCITestImages.index(seed: 4, flavor: .docker).rootBytes,
            OCITestImages.artifact().rootBytes,
            Data(#"{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"\#(digest)","size":1e3}]}"#.utf8),
        ]
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func referencesParseOrAreRefused(seed: UInt64) {
        var generator = FuzzRandom(seed: seed)
        let corpus = Self.references.map { Array($0.utf8) }
        var parsed = 0
        var refused = 0
        FuzzMutator.run { _ in
            let original = corpus.randomElement(using: &generator) ?? []
            let text = String(decoding: FuzzMutator.mutate(original, corpus: corpus, using: &generator), as: UTF8.self)
            do {
                let reference = try Reference(parsing: text)
                parsed += 1
                // What it prints must parse back to the same reference.
                #expect((try? Reference(parsing: reference.description)) == reference, "\(text)")
            } catch let error as OCIError {
                refused += 1
                #expect(error.kind == .invalidReference, "\(text): \(error)")
            } catch {
                Issue.record("\(text): unexpected \(type(of: error)) \(error)")
            }
        }
        #expect(parsed > 0 && refused > 0, "parsed \(parsed), refused \(refused)")
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func jsonParsesAndRoundTripsOrIsRefused(seed: UInt64) throws {
        var generator = FuzzRandom(seed: seed)
        let corpus = try Self.documents().map { Array($0) }
        var parsed = 0
        var refused = 0
        FuzzMutator.run { _ in
            let original = corpus.randomElement(using: &generator) ?? []
            let bytes = Data(FuzzMutator.mutate(original, corpus: corpus, using: &generator))
            do {
                let value = try JSONValue.parse(bytes)
                parsed += 1
                #expect((try? JSONValue.parse(value.encoded())) == value)
            } catch is OCIError {
                refused += 1
            } catch {
                Issue.record("unexpected \(type(of: error)) \(error)")
            }
        }
        #expect(parsed > 0 && refused > 0, "parsed \(parsed), refused \(refused)")
    }

    @Test(arguments: [UInt64(21), 22, 23])
    func manifestsParseOrAreRefused(seed: UInt64) throws {
        var generator = FuzzRandom(seed: seed)
        let corpus = try Self.documents().map { Array($0) }
        let declared: [MediaType?] = [nil, .ociManifest, .ociIndex, .dockerManifest, .dockerManifestList, "text/html"]
        var parsed = 0
        var refused = 0
        FuzzMutator.run { _ in
            let original = corpus.randomElement(using: &generator) ?? []
            let bytes = Data(FuzzMutator.mutate(original, corpus: corpus, using: &generator))
            let mediaType = declared.randomElement(using: &generator) ?? nil
            do {
                _ = try ManifestDocument.parse(bytes, declaredMediaType: mediaType)
                parsed += 1
            } catch let error as OCIError {
                refused += 1
                #expect(!error.message.isEmpty)
            } catch {
                Issue.record("unexpected \(type(of: error)) \(error)")
            }
        }
        #expect(parsed > 0 && refused > 0, "parsed \(parsed), refused \(refused)")
    }
}
