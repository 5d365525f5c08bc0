import OCI

/// What one copy did, for the command's output and the audit record.
public struct CopyReport: Hashable, Sendable {
    /// Digest and media type of the manifest written under the tag (after any mutation).
    public var digest: Digest
    public var mediaType: MediaType
    /// The seed's size, as `ImageSize.measure` defines it: config plus layers for an image; for an
    /// index, the sum over its children of each child's own size.
    public var size: Int64
    /// Blob bytes sent to the destination; skipped and mounted blobs move nothing, manifests are not counted.
    public var bytesMoved: Int64 = 0
    public var blobsUploaded = 0
    public var blobsSkipped = 0
    public var blobsMounted = 0
    /// Manifests written, the tagged one included.
    public var manifestsWritten = 0
    /// Child manifests the destination already had (their blobs were not checked again).
    public var manifestsSkipped = 0
    /// True when the destination tag already pointed at this digest and nothing was written.
    public var skipped = false

    public init(digest: Digest, mediaType: MediaType, size: Int64) {
        self.digest = digest
        self.mediaType = mediaType
        self.size = size
    }
}
