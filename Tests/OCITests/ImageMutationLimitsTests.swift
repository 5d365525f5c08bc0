import Foundation
import OCI
import TestSupport
import Testing

/// Attestations, nesting depth and the messages of configs a mutation cannot read.
@Suite struct ImageMutationLimitsTests {
    private func apply(_ mutation: ImageMutation, to image: OCITestImage, content: [Digest: Data]) async throws
        -> MutationResult
    {
        try await mutation.apply(toManifest: image.rootBytes, mediaType: image.rootMediaType) { descriptor in
            guard let data = content[descriptor.digest] else {
                throw OCIError(.mutationFailed, "no \(descriptor.digest)")
            }
            return data
        }
    }

    /// An attestation as buildx writes it: an OCI manifest with an image-config media type, listed
    /// with `unknown/unknown` and/or the attestation annotation.
    private static func attestationDescriptor(
        _ attestation: OCITestImage, of image: OCITestImage, annotated: Bool, unknownPlatform: Bool
    ) throws -> Descriptor {
        var json = attestation.rootDescriptor.json
        if unknownPlatform {
            json["platform"] = .object(["architecture": .string("unknown"), "os": .string("unknown")])
        }
        if annotated {
            json["annotations"] = .object([
                "vnd.docker.reference.type": .string("attestation-manifest"),
                "vnd.docker.reference.digest": .string(image.rootDigest.description),
            ])
        }
        return try Descriptor(json: .object(json))
    }

    @Test(arguments: [(true, true), (true, false), (false, true)])
    func attestationsStayByteIdentical(annotated: Bool, unknownPlatform: Bool) async throws {
        let image = try OCITestImages.image(seed: 50)
        let attestation = try OCITestImages.image(seed: 51, layerCount: 1)
        let listed = try Self.attestationDescriptor(
            attestation, of: image, annotated: annotated, unknownPlatform: unknownPlatform)
        let index = OCITestImages.index(children: [(image, image.rootDescriptor), (attestation, listed)])
        let result = try await apply(
            ImageMutation(labels: ["l": "v"], annotations: ["a": "b"]), to: index, content: index.allContent)
        let mutated = try ImageIndex(bytes: result.bytes)
        #expect(mutated.manifests[0].digest != image.rootDigest)
        #expect(mutated.manifests[1] == listed)
        #expect(mutated.manifests[1].json == listed.json)
        #expect(!result.newManifests.contains { $0.descriptor.digest == attestation.rootDigest })
        #expect(result.newManifests.count == 1)
        #expect(listed.isAttestation)
        #expect(!image.rootDescriptor.isAttestation)
    }

    /// `levels` indexes, each holding the next, around one image.
    private static func nested(levels: Int) throws -> OCITestImage {
        var current = try OCITestImages.image(seed: 52)
        for _ in 0..<levels { current = OCITestImages.index(children: [(current, current.rootDescriptor)]) }
        return current
    }

    @Test func theIndexDepthLimitIsTheSharedOne() async throws {
        #expect(ImageMutation.maxIndexDepth == ContentLimits.maxIndexDepth)
        let deepest = try Self.nested(levels: ContentLimits.maxIndexDepth)
        let result = try await apply(ImageMutation(labels: ["l": "v"]), to: deepest, content: deepest.allContent)
        #expect(result.changed)
        let tooDeep = try Self.nested(levels: ContentLimits.maxIndexDepth + 1)
        let error = await #expect(throws: OCIError.self) {
            try await apply(ImageMutation(labels: ["l": "v"]), to: tooDeep, content: tooDeep.allContent)
        }
        #expect(error?.message.contains("nested more than \(ContentLimits.maxIndexDepth) deep") == true)
    }

    @Test func configErrorsNameTheConfigAndWhere() async throws {
        let image = try OCITestImages.image(seed: 53)
        let manifest = try ImageManifest(bytes: image.rootBytes)
        var content = image.allContent
        let broken = Data("not json".utf8)
        var json = manifest.json
        json["config"] = manifest.config.pointing(to: .sha256(broken), size: Int64(broken.count)).jsonValue
        content[.sha256(broken)] = broken
        let fixedContent = content
        let error = await #expect(throws: OCIError.self) {
            try await ImageMutation(labels: ["l": "v"]).apply(toManifest: json.encoded(), mediaType: .ociManifest) {
                try #require(fixedContent[$0.digest])
            }
        }
        #expect(error?.message.hasPrefix("config \(Digest.sha256(broken)): ") == true)
        #expect(error?.message.contains("line 1, column 1") == true)

        let notObject = #expect(throws: OCIError.self) { try ImageConfig(bytes: Data("[]".utf8)) }
        #expect(notObject?.message == "config \(Digest.sha256(Data("[]".utf8))) is not a JSON object")
    }
}
