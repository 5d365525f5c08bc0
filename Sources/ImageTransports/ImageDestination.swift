import ByteStreams
import Foundation
import OCI

/// What happened to one blob handed to a destination.
public enum BlobTransfer: Hashable, Sendable {
    /// The bytes were sent; `bytes` of them.
    case uploaded(bytes: Int64)
    /// The destination linked a copy it already held elsewhere (a registry cross-repository mount).
    case mounted
    /// The destination had the blob already; nothing was sent.
    case alreadyPresent
}

/// Where images are written: a registry repository or an OCI layout.
///
/// A copy checks before it writes (`hasBlob`, `hasManifest`), writes blobs before the manifests
/// that name them and children before parents, then calls `commit()`. If the copy fails it calls
/// `abort()` instead; a destination that can stage its writes (a layout) then leaves no trace.
public protocol ImageDestination: Sendable {
    /// Names the destination in messages and reports.
    var displayName: String { get }
    func hasBlob(_ descriptor: Descriptor) async throws -> Bool
    /// Stores a blob. With `content` nil the destination reads it from `source` (or mounts it, when
    /// the source is a repository of the same registry); otherwise it stores exactly `content`, which
    /// must match the descriptor (blobs created by a mutation). A blob the destination already
    /// holds is not sent again: the answer is `.alreadyPresent`.
    func putBlob(_ descriptor: Descriptor, from source: any ImageSource, content: (any ByteSource)?) async throws
        -> BlobTransfer
    /// The digest the tag points at now, or nil when the tag does not exist.
    func manifestDigest(tag: String) async throws -> Digest?
    func hasManifest(_ digest: Digest) async throws -> Bool
    /// Stores a manifest, under `tag` when given, otherwise by digest only (children of an index).
    func putManifest(_ manifest: ManifestData, tag: String?) async throws
    /// Makes everything written visible (a layout's `index.json` is written here).
    func commit() async throws
    /// Discards whatever an unfinished copy staged. Registries cannot take uploads back and do nothing.
    func abort() async
}
