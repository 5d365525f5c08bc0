import Foundation
import ImageTransports
import OCI

/// The empty image Docker Hub tags are overwritten with, byte for byte the seed's (§10.8), so
/// its digests match what the Go implementation wrote.
public enum EmptyImage {
    /// 115 bytes, `sha256:5b943e2b…`.
    public static let configBytes = Data(
        #"{"architecture":"","created":"0001-01-01T00:00:00Z","os":"","rootfs":{"type":"layers","diff_ids":null},"config":{}}"#
            .utf8)

    public static var configDescriptor: Descriptor {
        Descriptor(mediaType: .dockerConfig, digest: Digest.sha256(configBytes), size: Int64(configBytes.count))
    }

    /// 264 bytes of Docker schema 2, `sha256:73211227…`.
    public static var manifest: ManifestData {
        let text =
            #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":\#(configBytes.count),"digest":"\#(Digest.sha256(configBytes))"},"layers":[]}"#
        return ManifestData(bytes: Data(text.utf8), mediaType: .dockerManifest)
    }
}
