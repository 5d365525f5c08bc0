import Foundation
import OCI
import TestSupport
import Testing

/// Content by digest, recording which descriptors were fetched.
private final class ContentStore: @unchecked Sendable {
    private let lock = NSLock()
    private var content: [Digest: Data]
    private var fetchedDigests: [Digest] = []

    init(_ images: OCITestImage...) {
        content = [:]
        for image in images { content.merge(image.allContent) { first, _ in first } }
    }

    var fetched: [Digest] { lock.withLock { fetchedDigests } }

    func add(_ result: MutationResult) {
        lock.withLock {
            for item in result.newBlobs + result.newManifests { content[item.descriptor.digest] = item.bytes }
            content[result.digest] = result.bytes
        }
    }

    func replace(_ digest: Digest, with bytes: Data) { lock.withLock { content[digest] = bytes } }

    func data(_ digest: Digest) throws -> Data {
        try lock.withLock {
            guard let data = content[digest] else { throw OCIError(.mutationFailed, "test store has no \(digest)") }
            return data
        }
    }

    var fetch: @Sendable (Descriptor) async throws -> Data {
        { descriptor in
            self.lock.withLock { self.fetchedDigests.append(descriptor.digest) }
            return try self.data(descriptor.digest)
        }
    }
}

@Suite struct ImageMutationTests {
    private func apply(_ mutation: ImageMutation, to image: OCITestImage, store: ContentStore) async throws
        -> MutationResult
    {
        let result = try await mutation.apply(
            toManifest: image.rootBytes, mediaType: image.rootMediaType, fetch: store.fetch)
        store.add(result)
        return result
    }

    private func config(of manifest: ImageManifest, in store: ContentStore) throws -> ImageConfig {
        try ImageConfig(bytes: try store.data(manifest.config.digest))
    }

    // Seed §9: a fresh image with one annotation and one label.
    @Test func labelAndAnnotationOnAnImage() async throws {
        let image = try OCITestImages.image(seed: 1)
        let store = ContentStore(image)
        let result = try await apply(
            ImageMutation(labels: ["label": "someLabelValue"], annotations: ["annotation1": "someValue"]), to: image,
            store: store)
        #expect(result.changed)
        #expect(result.digest != image.rootDigest)
        #expect(result.digest == Digest.sha256(result.bytes))
        #expect(result.mediaType == .ociManifest)
        let manifest = try ImageManifest(bytes: result.bytes)
        #expect(manifest.annotations == ["annotation1": "someValue"])
        #expect(try config(of: manifest, in: store).labels == ["label": "someLabelValue"])
        #expect(result.newBlobs.map(\.descriptor.digest) == [manifest.config.digest])
        #expect(result.newManifests.isEmpty)
        let original = try ImageManifest(bytes: image.rootBytes)
        #expect(manifest.layers == original.layers)
        // Only the config is fetched, never a layer.
        #expect(store.fetched == [original.config.digest])
    }

    // Seed §9: existing annotations and labels, one new and one overwritten key of each.
    @Test func existingKeysAreKeptOrOverwritten() async throws {
        let image = try OCITestImages.image(
            seed: 2, labels: ["existingLabel1": "l1", "existingLabel2": "l2"],
            annotations: ["existingAnnotation1": "a1", "existingAnnotation2": "a2"])
        let store = ContentStore(image)
        let result = try await apply(
            ImageMutation(
                labels: ["existingLabel2": "new", "label3": "l3"],
                annotations: ["existingAnnotation1": "new", "annotation3": "a3"]),
            to: image, store: store)
        let manifest = try ImageManifest(bytes: result.bytes)
        #expect(
            manifest.annotations == ["existingAnnotation1": "new", "existingAnnotation2": "a2", "annotation3": "a3"])
        #expect(
            manifest.json["annotations"]?.objectValue?.keys == [
                "existingAnnotation1", "existingAnnotation2", "annotation3",
            ])
        let labels = try config(of: manifest, in: store).labels
        #expect(labels == ["existingLabel1": "l1", "existingLabel2": "new", "label3": "l3"])
    }

    // Seed §9: an index of two images.
    @Test func indexChildrenGetLabelsAndAnnotations() async throws {
        let index = try OCITestImages.index(seed: 10)
        let store = ContentStore(index)
        let result = try await apply(
            ImageMutation(labels: ["label": "someLabelValue"], annotations: ["annotation1": "someValue"]), to: index,
            store: store)
        let newIndex = try ImageIndex(bytes: result.bytes)
        #expect(newIndex.annotations == ["annotation1": "someValue"])
        #expect(newIndex.manifests.count == 2)
        let original = try ImageIndex(bytes: index.rootBytes)
        #expect(newIndex.manifests.map(\.platform) == original.manifests.map(\.platform))
        for child in newIndex.manifests {
            let manifest = try ImageManifest(bytes: try store.data(child.digest))
            #expect(manifest.annotations == ["annotation1": "someValue"])
            #expect(try config(of: manifest, in: store).labels == ["label": "someLabelValue"])
        }
        #expect(result.newManifests.map(\.descriptor.digest) == newIndex.manifests.map(\.digest))
        #expect(result.newBlobs.count == 2)
    }

    @Test func annotationOnlyNeverTouchesTheConfig() async throws {
        let image = try OCITestImages.image(seed: 3, labels: ["keep": "me"])
        let store = ContentStore(image)
        let result = try await apply(ImageMutation(annotations: ["a": "b"]), to: image, store: store)
        let original = try ImageManifest(bytes: image.rootBytes)
        let manifest = try ImageManifest(bytes: result.bytes)
        #expect(manifest.config == original.config)
        #expect(result.newBlobs.isEmpty)
        #expect(store.fetched.isEmpty)
        #expect(result.changed)
    }

    @Test(arguments: [
        ImageMutation(), ImageMutation(labels: ["l": "1"]), ImageMutation(annotations: ["a": "2"]),
        ImageMutation(labels: ["l": "1"], annotations: ["a": "2"]),
    ])
    func mutationThatChangesNothingKeepsTheOriginal(mutation: ImageMutation) async throws {
        let image = try OCITestImages.image(seed: 4, labels: ["l": "1"], annotations: ["a": "2"])
        let index = try OCITestImages.index(seed: 4, labels: ["l": "1"], annotations: ["a": "2"])
        for subject in [image, index] {
            let store = ContentStore(subject)
            // The children of the index carry the label but not the annotation.
            let expectUnchanged = subject.rootMediaType.isImageManifest || mutation.annotations.isEmpty
            let result = try await apply(mutation, to: subject, store: store)
            #expect(result.changed == !expectUnchanged)
            if expectUnchanged {
                #expect(result.bytes == subject.rootBytes)
                #expect(result.digest == subject.rootDigest)
                #expect(result.newBlobs.isEmpty && result.newManifests.isEmpty)
            }
        }
    }

    @Test func sameInputGivesTheSameDigestAndReapplyingChangesNothing() async throws {
        let index = try OCITestImages.index(seed: 5)
        let mutation = ImageMutation(
            labels: ["z": "1", "a": "2", "m": "3"], annotations: ["org.example/x": "<&>", "b": "\u{2028}"])
        let first = try await apply(mutation, to: index, store: ContentStore(index))
        let second = try await apply(mutation, to: index, store: ContentStore(index))
        #expect(first.digest == second.digest)
        #expect(first.bytes == second.bytes)
        let store = ContentStore(index)
        store.add(first)
        let again = try await mutation.apply(toManifest: first.bytes, mediaType: first.mediaType, fetch: store.fetch)
        #expect(!again.changed)
        #expect(again.digest == first.digest)
    }

    @Test func nestedIndexesAreMutatedChildrenFirst() async throws {
        let inner = try OCITestImages.index(seed: 20)
        let single = try OCITestImages.image(seed: 30)
        let outer = OCITestImages.index(children: [
            (inner, inner.rootDescriptor), (single, single.rootDescriptor),
        ])
        let store = ContentStore(outer)
        let result = try await apply(
            ImageMutation(labels: ["l": "v"], annotations: ["a": "b"]), to: outer, store: store)
        let newOuter = try ImageIndex(bytes: result.bytes)
        #expect(newOuter.annotations == ["a": "b"])
        #expect(newOuter.manifests.map(\.mediaType) == [.ociIndex, .ociManifest])
        let newInner = try ImageIndex(bytes: try store.data(newOuter.manifests[0].digest))
        #expect(newInner.annotations == ["a": "b"])
        let images = newInner.manifests.map(\.digest) + [newOuter.manifests[1].digest]
        for digest in images {
            let manifest = try ImageManifest(bytes: try store.data(digest))
            #expect(manifest.annotations == ["a": "b"])
            #expect(try config(of: manifest, in: store).labels == ["l": "v"])
        }
        // Every manifest comes after the children it points to.
        let order = result.newManifests.map(\.descriptor.digest)
        let innerPosition = try #require(order.firstIndex(of: newOuter.manifests[0].digest))
        for child in newInner.manifests { #expect(try #require(order.firstIndex(of: child.digest)) < innerPosition) }
        #expect(order.count == 4)
    }

    @Test func childrenKeepOrderCountAndFieldsAndArtifactsAreUntouched() async throws {
        let image = try OCITestImages.image(seed: 40)
        let artifact = OCITestImages.artifact()
        let unknownChild = Descriptor(
            mediaType: "application/vnd.example.thing", digest: .sha256(Data("x".utf8)), size: 1)
        var decorated = image.rootDescriptor.json
        decorated["annotations"] = .object(["org.opencontainers.image.ref.name": .string("v1")])
        decorated["x-vendor"] = .number(try JSONNumber(literal: "1.0"))
        let decoratedDescriptor = try Descriptor(json: .object(decorated))
        let index = OCITestImages.index(children: [
            (image, decoratedDescriptor), (artifact, artifact.rootDescriptor), (image, image.rootDescriptor),
            (artifact, unknownChild),
        ])
        let store = ContentStore(index)
        let result = try await apply(ImageMutation(labels: ["l": "v"]), to: index, store: store)
        let original = try ImageIndex(bytes: index.rootBytes)
        let mutated = try ImageIndex(bytes: result.bytes)
        #expect(mutated.manifests.count == 4)
        #expect(mutated.manifests[1] == original.manifests[1])
        #expect(mutated.manifests[3] == original.manifests[3])
        #expect(mutated.manifests[0].digest == mutated.manifests[2].digest)
        #expect(mutated.manifests[0].digest != image.rootDigest)
        #expect(mutated.manifests[0].json.keys == decorated.keys)
        #expect(mutated.manifests[0].json["x-vendor"] == .number(try JSONNumber(literal: "1.0")))
        #expect(mutated.manifests[0].annotations == ["org.opencontainers.image.ref.name": "v1"])
        // The duplicate image is fetched once; the unknown child never.
        #expect(store.fetched.filter { $0 == image.rootDigest }.count == 1)
        #expect(!store.fetched.contains(unknownChild.digest))
        #expect(result.newManifests.count == 1)
        #expect(mutated.annotations == nil)
    }

    @Test func unknownFieldsAndNumbersSurvive() async throws {
        let configText =
            #"{"architecture":"amd64","os":"linux","x-extra":{"n":1.0,"big":123456789012345678901},"config":{"Env":["A=1"],"Healthcheck":{"Interval":30000000000}},"rootfs":{"type":"layers","diff_ids":[]}}"#
        let config = Data(configText.utf8)
        let manifestText =
            #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":\#(config.count),"digest":"\#(Digest.sha256(config))","x-d":2.50},"layers":[],"x-top":[1e3]}"#
        let manifestBytes = Data(manifestText.utf8)
        let store = ContentStore()
        store.replace(.sha256(config), with: config)
        let result = try await ImageMutation(labels: ["l": "v"], annotations: ["a": "b"])
            .apply(toManifest: manifestBytes, mediaType: nil, fetch: store.fetch)
        store.add(result)
        let newConfigBytes = try #require(result.newBlobs.first?.bytes)
        #expect(
            String(decoding: newConfigBytes, as: UTF8.self)
                == #"{"architecture":"amd64","os":"linux","x-extra":{"n":1.0,"big":123456789012345678901},"config":{"Env":["A=1"],"Healthcheck":{"Interval":30000000000},"Labels":{"l":"v"}},"rootfs":{"type":"layers","diff_ids":[]}}"#
        )
        let newDigest = Digest.sha256(newConfigBytes)
        #expect(
            String(decoding: result.bytes, as: UTF8.self)
                == #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":\#(newConfigBytes.count),"digest":"\#(newDigest)","x-d":2.50},"layers":[],"x-top":[1e3],"annotations":{"a":"b"}}"#
        )
        #expect(result.mediaType == .dockerManifest)
    }

    @Test(arguments: [#"{"os":"linux"}"#, #"{"os":"linux","config":null}"#, #"{"config":{"Labels":null}}"#])
    func missingConfigObjectOrLabelsAreCreated(configText: String) async throws {
        let config = Data(configText.utf8)
        let manifest: JSONObject = [
            "schemaVersion": .integer(2),
            "config": Descriptor(mediaType: .ociConfig, digest: .sha256(config), size: Int64(config.count)).jsonValue,
            "layers": .array([]),
        ]
        let store = ContentStore()
        store.replace(.sha256(config), with: config)
        let result = try await ImageMutation(labels: ["k": "v"])
            .apply(toManifest: manifest.encoded(), mediaType: nil, fetch: store.fetch)
        let newConfig = try ImageConfig(bytes: try #require(result.newBlobs.first?.bytes))
        #expect(newConfig.labels == ["k": "v"])
    }

    @Test func configThatIsNotAnObjectIsAnError() async throws {
        let config = Data(#"{"config":[]}"#.utf8)
        let manifest: JSONObject = [
            "config": Descriptor(mediaType: .ociConfig, digest: .sha256(config), size: Int64(config.count)).jsonValue,
            "layers": .array([]),
        ]
        let store = ContentStore()
        store.replace(.sha256(config), with: config)
        await #expect {
            _ = try await ImageMutation(labels: ["k": "v"])
                .apply(toManifest: manifest.encoded(), mediaType: nil, fetch: store.fetch)
        } throws: { error in
            (error as? OCIError)?.message.contains("\"config\" must be an object") == true
        }
    }

    @Test func fetchedContentIsVerified() async throws {
        let image = try OCITestImages.image(seed: 50)
        let store = ContentStore(image)
        let configDigest = try ImageManifest(bytes: image.rootBytes).config.digest
        var tampered = try store.data(configDigest)
        tampered[tampered.startIndex] = UInt8(ascii: " ")
        store.replace(configDigest, with: tampered)
        await #expect {
            _ = try await apply(ImageMutation(labels: ["k": "v"]), to: image, store: store)
        } throws: { error in
            (error as? OCIError)?.kind == .digestMismatch
        }
        store.replace(configDigest, with: tampered.dropLast())
        await #expect {
            _ = try await apply(ImageMutation(labels: ["k": "v"]), to: image, store: store)
        } throws: { error in
            (error as? OCIError)?.kind == .sizeMismatch
        }
    }

    @Test func labelsOnAnArtifactRootAreRefused() async throws {
        let artifact = OCITestImages.artifact()
        let store = ContentStore(artifact)
        await #expect {
            _ = try await apply(ImageMutation(labels: ["k": "v"]), to: artifact, store: store)
        } throws: { error in
            (error as? OCIError)?.message.contains("is an artifact") == true
        }
        let annotated = try await apply(ImageMutation(annotations: ["k": "v"]), to: artifact, store: store)
        #expect(try ImageManifest(bytes: annotated.bytes).annotations == ["k": "v"])
    }

    @Test func dockerManifestListKeepsItsMediaTypes() async throws {
        let index = try OCITestImages.index(seed: 60, flavor: .docker)
        let result = try await apply(ImageMutation(labels: ["k": "v"]), to: index, store: ContentStore(index))
        #expect(result.mediaType == .dockerManifestList)
        #expect(try ImageIndex(bytes: result.bytes).manifests.allSatisfy { $0.mediaType == .dockerManifest })
        #expect(result.newManifests.allSatisfy { $0.descriptor.mediaType == .dockerManifest })
        #expect(result.newBlobs.allSatisfy { $0.descriptor.mediaType == .dockerConfig })
    }
}

@Suite struct KeyValueListTests {
    @Test func splitsAtTheFirstEquals() throws {
        let parsed = try KeyValueList.parse(["a=b=c", "=x", "k=", " sp = v ", "a=later"], kind: "label")
        #expect(parsed == ["a": "later", "": "x", "k": "", " sp ": " v "])
    }

    @Test(arguments: ["a*b", " description*x", ""])
    func entryWithoutEqualsIsAnError(entry: String) {
        #expect {
            try KeyValueList.parse(["ok=1", entry], kind: "annotation")
        } throws: { error in
            guard let error = error as? OCIError else { return false }
            return error.kind == .invalidKeyValue && error.message.contains("annotation \"\(entry)\"")
        }
    }
}
