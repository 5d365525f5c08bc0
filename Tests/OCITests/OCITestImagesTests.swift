import Foundation
import OCI
import TestSupport
import Testing

@Suite struct OCITestImagesTests {
    @Test func imageIsConsistentAndDeterministic() throws {
        let first = try OCITestImages.image(seed: 7, labels: ["a": "b"], annotations: ["x": "y"])
        let second = try OCITestImages.image(seed: 7, labels: ["a": "b"], annotations: ["x": "y"])
        #expect(first.rootBytes == second.rootBytes)
        #expect(try OCITestImages.image(seed: 8).rootDigest != first.rootDigest)
        let manifest = try ImageManifest(bytes: first.rootBytes)
        #expect(manifest.annotations == ["x": "y"])
        for descriptor in [manifest.config] + manifest.layers {
            let blob = try #require(first.blobs[descriptor.digest])
            #expect(Int64(blob.count) == descriptor.size)
            #expect(Digest.sha256(blob) == descriptor.digest)
        }
        let config = try ImageConfig(bytes: try #require(first.blobs[manifest.config.digest]))
        #expect(config.labels == ["a": "b"])
        #expect(config.diffIDs == manifest.layers.map(\.digest))
        #expect(try first.reportedSize == manifest.contentSize)
    }

    @Test func layersAreTarArchivesPaddedToBlocks() {
        let archive = OCITestImages.tarArchive(fileName: "f", contents: Data(count: 700))
        #expect(archive.count == 512 + 1_024 + 1_024)
        #expect(archive[257..<262] == Data("ustar".utf8))
    }

    @Test func indexListsEveryChildInOrder() throws {
        let index = try OCITestImages.index(seed: 3, annotations: ["i": "1"], flavor: .docker)
        let parsed = try ImageIndex(bytes: index.rootBytes)
        #expect(parsed.mediaType == .dockerManifestList)
        #expect(parsed.manifests.map(\.digest) == index.childManifests.map(\.descriptor.digest))
        #expect(parsed.manifests.map { $0.platform?.description } == ["linux/amd64", "linux/arm64/v8"])
        #expect(index.allContent.count == index.blobs.count + 3)
        let childSizes = try index.childManifests.map { try ImageManifest(bytes: $0.bytes).contentSize }
        #expect(try index.reportedSize == childSizes.reduce(0, +))
    }
}
