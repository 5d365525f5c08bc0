import OCI
import Testing

@Suite struct MediaTypeTests {
    @Test func predicatesClassifyTheKnownTypes() {
        #expect(MediaType.ociManifest.isImageManifest && MediaType.dockerManifest.isImageManifest)
        #expect(!MediaType.ociIndex.isImageManifest)
        #expect(MediaType.ociIndex.isIndex && MediaType.dockerManifestList.isIndex)
        #expect(MediaType.dockerSchema1.isSchema1 && MediaType.dockerSchema1Signed.isSchema1)
        #expect(!MediaType.dockerManifest.isSchema1)
        #expect(MediaType.ociConfig.isConfig && MediaType.dockerConfig.isConfig && !MediaType.ociEmpty.isConfig)
        #expect(MediaType.dockerForeignLayerGzip.isNonDistributable)
        #expect(MediaType.ociNonDistributableLayerTarZstd.isNonDistributable)
        #expect(!MediaType.ociLayerTarGzip.isNonDistributable)
        #expect(MediaType("application/vnd.example+json").isManifest == false)
    }

    @Test func constantsHaveTheSpecStrings() {
        #expect(MediaType.ociManifest.rawValue == "application/vnd.oci.image.manifest.v1+json")
        #expect(MediaType.dockerManifestList.rawValue == "application/vnd.docker.distribution.manifest.list.v2+json")
        #expect(MediaType.dockerLayerGzip.description == "application/vnd.docker.image.rootfs.diff.tar.gzip")
        #expect(MediaType.ociEmpty.rawValue == "application/vnd.oci.empty.v1+json")
    }
}
