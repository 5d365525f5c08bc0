import Foundation
import OCI
import Testing

@Suite struct ManifestDocumentTests {
    static let configDigest = "sha256:" + String(repeating: "a", count: 64)
    static let layerDigest = "sha256:" + String(repeating: "b", count: 64)
    static let childDigest = "sha256:" + String(repeating: "c", count: 64)

    static let imageText = """
        {
          "schemaVersion": 2,
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "\(configDigest)", "size": 7},
          "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "\(layerDigest)", "size": 32,
             "x-unknown": {"keep": 1.50}}
          ],
          "annotations": {"org.opencontainers.image.title": "demo"},
          "x-vendor": [1.0, 2]
        }
        """

    static let indexText = """
        {"schemaVersion":2,"manifests":[
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(childDigest)","size":100,
           "platform":{"architecture":"arm64","os":"linux","variant":"v8","features":["x"]}},
          {"mediaType":"application/vnd.example.sbom","digest":"\(layerDigest)","size":5,"artifactType":"text/spdx",
           "data":"aGVsbG8="}
        ],"annotations":{"a":"b"}}
        """

    @Test func parsesAnImageManifestAndKeepsItsBytes() throws {
        let bytes = Data(Self.imageText.utf8)
        guard case .image(let manifest) = try ManifestDocument.parse(bytes, declaredMediaType: nil) else {
            Issue.record("expected an image manifest")
            return
        }
        #expect(manifest.bytes == bytes)
        #expect(manifest.digest == Digest.sha256(bytes))
        #expect(manifest.mediaType == .ociManifest)
        #expect(manifest.config.digest.description == Self.configDigest)
        #expect(manifest.config.size == 7)
        #expect(manifest.layers.count == 1)
        #expect(manifest.layers[0].mediaType == .ociLayerTarGzip)
        #expect(manifest.annotations == ["org.opencontainers.image.title": "demo"])
        #expect(manifest.contentSize == 39)
        #expect(!manifest.isArtifact)
        #expect(manifest.descriptor.size == Int64(bytes.count))
    }

    @Test func descriptorKeepsUnknownFieldsWhenReencoded() throws {
        let manifest = try ImageManifest(bytes: Data(Self.imageText.utf8))
        let layer = manifest.layers[0]
        #expect(layer.json["x-unknown"] != nil)
        let moved = layer.pointing(to: try Digest(parsing: Self.childDigest), size: 33)
        #expect(
            String(decoding: moved.json.encoded(), as: UTF8.self)
                == #"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(Self.childDigest)","size":33,"x-unknown":{"keep":1.50}}"#
        )
        #expect(try Descriptor(json: moved.jsonValue) == moved)
    }

    @Test func parsesAnIndexWithoutMediaTypeByStructure() throws {
        let bytes = Data(Self.indexText.utf8)
        guard case .index(let index) = try ManifestDocument.parse(bytes, declaredMediaType: nil) else {
            Issue.record("expected an index")
            return
        }
        #expect(index.mediaType == .ociIndex)
        #expect(index.manifests.count == 2)
        let platform = try #require(index.manifests[0].platform)
        #expect(platform.description == "linux/arm64/v8")
        #expect(platform.json["features"] != nil)
        #expect(index.manifests[1].artifactType == "text/spdx")
        #expect(index.manifests[1].data == Data("hello".utf8))
        #expect(index.annotations == ["a": "b"])
    }

    @Test func declaredTypeIsUsedWhenTheFieldIsMissing() throws {
        let bytes = Data(#"{"schemaVersion":2,"manifests":[]}"#.utf8)
        let document = try ManifestDocument.parse(bytes, declaredMediaType: .dockerManifestList)
        #expect(document.mediaType == .dockerManifestList)
        let untyped = try ManifestDocument.parse(bytes, declaredMediaType: "application/json")
        #expect(untyped.mediaType == .ociIndex)
    }

    @Test func imageWithoutMediaTypeIsClassifiedByStructure() throws {
        let text = Self.imageText.replacingOccurrences(
            of: #""mediaType": "application/vnd.oci.image.manifest.v1+json","#, with: "")
        let document = try ManifestDocument.parse(Data(text.utf8), declaredMediaType: nil)
        #expect(document.mediaType == .ociManifest)
        guard case .image(let manifest) = document else {
            Issue.record("classified as an index")
            return
        }
        #expect(manifest.contentSize == 39)
    }

    @Test(
        arguments: [
            (#"{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}"#, nil, "schema 1"),
            (#"{"schemaVersion":2,"manifests":[]}"#, MediaType.dockerSchema1Signed, "schema 1"),
            (#"{"schemaVersion":2}"#, nil, "neither \"manifests\""),
            (#"[]"#, nil, "not a JSON object"),
            (#"{"mediaType":"text/plain","manifests":[]}"#, nil, "unsupported media type text/plain"),
            (
                #"{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#, MediaType.ociManifest,
                "served as"
            ),
            (#"{"schemaVersion":3,"manifests":[]}"#, nil, "schemaVersion 3"),
            (#"{"manifests":[{"mediaType":"x","size":1}]}"#, nil, "manifest 0: field \"digest\" is missing"),
            (#"{"manifests":[{"mediaType":"x","digest":"sha256:1","size":1}]}"#, nil, "not a valid digest"),
            (
                #"{"manifests":[{"mediaType":"x","digest":"\#(childDigest)","size":-1}]}"#, nil,
                "\"size\" must not be negative"
            ),
            (#"{"manifests":[{"mediaType":"x","digest":"\#(childDigest)","size":1.5}]}"#, nil, "must be an integer"),
            (#"{"config":{},"layers":{}}"#, nil, "config: field \"mediaType\" is missing"),
            (#"{"manifests":[],"annotations":{"a":1}}"#, nil, "must map to strings"),
        ] as [(String, MediaType?, String)])
    func rejectsBadManifests(text: String, declared: MediaType?, problem: String) {
        #expect {
            try ManifestDocument.parse(Data(text.utf8), declaredMediaType: declared)
        } throws: { error in
            (error as? OCIError)?.message.contains(problem) == true
        }
    }

    @Test func oversizedManifestIsRefused() {
        let bytes = Data(count: ContentLimits.manifestBytes + 1)
        #expect {
            try ManifestDocument.parse(bytes, declaredMediaType: nil)
        } throws: { error in
            (error as? OCIError)?.kind == .tooLarge
        }
    }

    @Test func descriptorBuiltFromPartsEncodesInSpecOrder() throws {
        let descriptor = Descriptor(
            mediaType: .ociManifest, digest: try Digest(parsing: Self.childDigest), size: 10,
            annotations: ["b": "2", "a": "1"], platform: Platform(architecture: "amd64", os: "linux"))
        #expect(
            String(decoding: descriptor.json.encoded(), as: UTF8.self)
                == #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(Self.childDigest)","size":10,"annotations":{"a":"1","b":"2"},"platform":{"architecture":"amd64","os":"linux"}}"#
        )
        #expect(try Descriptor(json: descriptor.jsonValue) == descriptor)
    }

    @Test(arguments: [("linux/amd64", "linux/amd64"), ("linux/arm/v7", "linux/arm/v7")])
    func platformsParse(text: String, expected: String) throws {
        #expect(try Platform(parsing: text).description == expected)
    }

    @Test(arguments: ["linux", "linux/", "/amd64", "a/b/c/d"])
    func badPlatformsAreRejected(text: String) {
        #expect(throws: OCIError.self) { try Platform(parsing: text) }
    }
}

@Suite struct ImageConfigTests {
    @Test func readsLabelsPlatformAndCreated() throws {
        let text = """
            {"architecture":"arm64","os":"linux","variant":"v8","created":"2024-01-02T03:04:05.5Z",
             "config":{"Labels":{"a":"1"},"Env":["X=1"]},"rootfs":{"type":"layers","diff_ids":["sha256:\(String(repeating: "d", count: 64))"]},
             "x-unknown":true}
            """
        let config = try ImageConfig(bytes: Data(text.utf8))
        #expect(config.labels == ["a": "1"])
        #expect(config.platform?.description == "linux/arm64/v8")
        #expect(config.created == Date(timeIntervalSince1970: 1_704_164_645.5))
        #expect(config.diffIDs.count == 1)
        #expect(config.digest == Digest.sha256(Data(text.utf8)))
    }

    @Test(arguments: [
        ("2024-01-02T03:04:05Z", 1_704_164_645.0),
        ("2024-01-02T05:04:05+02:00", 1_704_164_645.0),
        ("2024-01-02T03:04:05.123456789Z", 1_704_164_645.123456789),
        ("1970-01-01T00:00:00Z", 0.0),
    ])
    func createdTimestampsParse(text: String, seconds: Double) throws {
        let config = try ImageConfig(bytes: Data(#"{"created":"\#(text)"}"#.utf8))
        let created = try #require(config.created)
        #expect(abs(created.timeIntervalSince1970 - seconds) < 0.000_001)
    }

    @Test(arguments: ["2024-01-02", "2024-13-02T03:04:05Z", "2024-01-02T03:04:05", "yesterday"])
    func invalidTimestampsAreKeptAsTextOnly(text: String) throws {
        let config = try ImageConfig(bytes: Data(#"{"created":"\#(text)"}"#.utf8))
        #expect(config.created == nil)
        #expect(config.createdText == text)
    }

    @Test func configWithoutLabelsHasNone() throws {
        #expect(try ImageConfig(bytes: Data("{}".utf8)).labels.isEmpty)
        #expect(try ImageConfig(bytes: Data(#"{"config":{"Labels":null}}"#.utf8)).labels.isEmpty)
    }

    @Test func wrongTypesAreReported() {
        #expect {
            try ImageConfig(bytes: Data(#"{"config":{"Labels":{"a":2}}}"#.utf8))
        } throws: { error in
            (error as? OCIError)?.kind == .invalidConfig && (error as? OCIError)?.message.contains("Labels") == true
        }
    }
}
