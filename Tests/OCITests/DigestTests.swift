import ByteStreams
import Foundation
import OCI
import Testing

@Suite struct DigestTests {
    /// FIPS 180-2 / NIST CSRC example vectors for SHA-256.
    static let vectors: [(message: Data, hex: String)] = [
        (Data(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (Data("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            Data(repeating: UInt8(ascii: "a"), count: 1_000_000),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        ),
    ]

    @Test(arguments: 0..<4) func oneShotMatchesPublishedVector(index: Int) {
        let vector = Self.vectors[index]
        #expect(Digest.sha256(vector.message).description == "sha256:" + vector.hex)
    }

    @Test(arguments: [1, 3, 7, 63, 64, 65, 4_097])
    func incrementalMatchesPublishedVectors(chunkSize: Int) {
        let hasher = SHA256Hasher()
        for vector in Self.vectors {
            var offset = 0
            while offset < vector.message.count {
                let end = min(offset + chunkSize, vector.message.count)
                hasher.update(vector.message.subdata(in: offset..<end))
                offset = end
            }
            #expect(hasher.finalize().encoded == vector.hex)
        }
    }

    @Test func unevenSplitsThroughRawBuffers() {
        let message = Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        let hasher = SHA256Hasher()
        var offset = 0
        for size in [0, 1, 2, 5, 11, 17, 100] where offset < message.count {
            let end = min(offset + size, message.count)
            message.subdata(in: offset..<end).withUnsafeBytes { hasher.update($0) }
            offset = end
        }
        #expect(hasher.byteCount == Int64(message.count))
        #expect(hasher.finalize().encoded == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hasher.byteCount == 0)
        #expect(hasher.finalize() == Digest.sha256(Data()))
    }

    @Test(arguments: [
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha512:" + String(repeating: "ab", count: 64),
        "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
        "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
        "blake3:abcdef0123",
    ])
    func acceptsValidDigests(text: String) throws {
        let digest = try Digest(parsing: text)
        #expect(digest.description == text)
    }

    @Test(arguments: [
        ("", "expected algorithm:encoded"),
        ("sha256", "expected algorithm:encoded"),
        ("sha256:abc", "64 lower-case hex"),
        ("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "64 lower-case hex"),
        ("sha512:abcd", "128 lower-case hex"),
        ("SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "algorithm \"SHA256\""),
        ("+sha:abc", "is not valid"),
        ("sha256+:abc", "is not valid"),
        ("blake3:", "invalid characters"),
        ("blake3:ab/cd", "invalid characters"),
    ])
    func rejectsInvalidDigests(text: String, problem: String) {
        #expect {
            try Digest(parsing: text)
        } throws: { error in
            let error = error as? OCIError
            return error?.kind == .invalidDigest && error?.message.contains(problem) == true
                && error?.message.contains("\"\(text)\"") == true
        }
    }

    @Test func codableRoundTrip() throws {
        let digest = Digest.sha256(Data("x".utf8))
        let encoded = try JSONEncoder().encode([digest])
        #expect(try JSONDecoder().decode([Digest].self, from: encoded) == [digest])
    }
}

@Suite struct VerifyingByteSourceTests {
    let content = Data((0..<10_000).map { UInt8($0 % 251) })

    private func drain(_ source: any ByteSource) async throws -> Data {
        var result = Data()
        while let chunk = try await source.read() { result.append(chunk) }
        return result
    }

    @Test func passesMatchingContentThrough() async throws {
        let source = try VerifyingByteSource(
            wrapping: DataByteSource(content, chunkSize: 333), digest: .sha256(content), size: Int64(content.count))
        #expect(try await drain(source) == content)
        #expect(source.bytesRead == Int64(content.count))
    }

    @Test func acceptsUnknownSize() async throws {
        let source = try VerifyingByteSource(wrapping: DataByteSource(content), digest: .sha256(content), size: nil)
        #expect(try await drain(source) == content)
    }

    @Test func rejectsDigestMismatchAtTheEnd() async throws {
        var corrupt = content
        corrupt[5_000] ^= 0xff
        let source = try VerifyingByteSource(
            wrapping: DataByteSource(corrupt, chunkSize: 1_000), digest: .sha256(content), size: Int64(content.count),
            subject: "layer x")
        await #expect {
            _ = try await drain(source)
        } throws: { error in
            let error = error as? OCIError
            return error?.kind == .digestMismatch && error?.message.contains("layer x") == true
                && error?.message.contains(Digest.sha256(corrupt).description) == true
        }
    }

    @Test func rejectsTruncatedContent() async throws {
        let truncated = content.prefix(9_000)
        let source = try VerifyingByteSource(
            wrapping: DataByteSource(truncated), digest: .sha256(content), size: Int64(content.count))
        await #expect {
            _ = try await drain(source)
        } throws: { error in
            (error as? OCIError)?.kind == .sizeMismatch
                && (error as? OCIError)?.message.contains("ended after 9000") == true
        }
    }

    @Test func stopsAsSoonAsSizeIsExceeded() async throws {
        let source = try VerifyingByteSource(
            wrapping: DataByteSource(content, chunkSize: 4_000), digest: .sha256(content), size: 5_000)
        #expect(try await source.read()?.count == 4_000)
        await #expect {
            _ = try await source.read()
        } throws: { error in
            (error as? OCIError)?.kind == .sizeMismatch
        }
    }

    @Test func refusesAlgorithmsItCannotCompute() throws {
        let digest = try Digest(parsing: "sha512:" + String(repeating: "0", count: 128))
        #expect(throws: OCIError.self) {
            try VerifyingByteSource(wrapping: DataByteSource(content), digest: digest, size: nil)
        }
    }
}
