import COpenSSL
import Foundation

/// Incremental SHA-256 over OpenSSL's EVP interface, for content that arrives in chunks.
///
/// Not thread-safe: one owner feeds it. `finalize()` returns the digest and resets the hasher,
/// so it can be reused for the next stream.
public final class SHA256Hasher {
    private let context: OpaquePointer?

    public init() {
        context = EVP_MD_CTX_new()
        reset()
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Number of bytes fed since the last reset.
    public private(set) var byteCount: Int64 = 0

    public func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        EVP_DigestUpdate(context, base, bytes.count)
        byteCount += Int64(bytes.count)
    }

    /// The digest of everything fed so far; the hasher starts over afterwards.
    public func finalize() -> Digest {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &output, &length)
        reset()
        return Digest.sha256(rawBytes: output.prefix(Int(length)))
    }

    private func reset() {
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        byteCount = 0
    }
}
