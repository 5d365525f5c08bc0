import Foundation
import ImageTransports
import OCI
import Registry
import TestSupport
import Testing

/// Copies through a `FaultProxy` in front of the real docker-registry: whatever the proxy injects,
/// what ends up stored is exactly the source, corrupt or partial content is never committed, and
/// the faults really happened.
@Suite(.serialized) struct FaultInjectionTests {
    /// Every kind of fault at random, by seed; a step that fails (a corrupt layer) is started over
    /// as the engine would, at most five times.
    @Test(arguments: [UInt64(7), 1_234])
    func copiesThroughRandomFaultsEndWithTheSourceDigests(seed: UInt64) async throws {
        let plain = try TestServices.registry(.plain).address
        let plain2 = try TestServices.registry(.plain2).address
        var schedule = FaultSchedule.random(seed: seed, probability: 0.03)
        // Few requests download blobs: corrupt more of them, so every run has steps that fail and start over.
        schedule.probabilities[.corruptBlob] = 0.3
        let proxy = try FaultProxy(upstream: plain, schedule: schedule)
        defer { proxy.stop() }
        let sources = try FaultTestSupport.SourceImages(seed: seed)
        let waits = FaultTestSupport.RetryWaits()
        let session = FaultTestSupport.session(
            [proxy.address, plain2], retryPolicy: waits.policy(), monolithicLimit: 2 << 20, chunkSize: nil)
        let repository = RegistryTestSessions.uniqueRepository("faults")

        // Push through the proxy, then pull through it into the second registry.
        var stepFailures: [any Error] = []
        for (tag, image) in sources.images {
            let (pushed, pushFailures) = try await FaultTestSupport.copyRetryingSteps(
                attempts: 5, from: { try sources.source(tag) },
                to: { try FaultTestSupport.repository(session, proxy.address, repository, tag: tag) }, tag: tag)
            #expect(pushed.digest == image.rootDigest)
            let (pulled, pullFailures) = try await FaultTestSupport.copyRetryingSteps(
                attempts: 5, from: { try FaultTestSupport.repository(session, proxy.address, repository, tag: tag) },
                to: { try FaultTestSupport.repository(session, plain2, repository, tag: tag) }, tag: tag)
            #expect(pulled.digest == image.rootDigest)
            stepFailures += pushFailures + pullFailures
        }
        for (tag, image) in sources.images {
            #expect(
                try await FaultTestSupport.expectStored(image, kind: .plain, repository: repository, tag: tag) == [])
            #expect(
                try await FaultTestSupport.expectStored(image, kind: .plain2, repository: repository, tag: tag) == [])
        }
        // The schedule did inject a fair mix, and the client retried through it.
        let counts = proxy.counts
        #expect(counts.values.reduce(0, +) >= 10, "\(counts)")
        #expect(counts.count >= 6, "\(counts)")
        #expect(waits.waits.count + stepFailures.count >= counts.values.reduce(0, +) / 2)
        // Every upload went through the proxy: the registry's Location headers were rewritten.
        #expect(proxy.exchanges.contains { $0.method == "PUT" && $0.path.contains("/blobs/uploads/") })
        #expect(proxy.exchanges.contains { $0.method == "PATCH" && $0.path.contains("/blobs/uploads/") })
    }

    /// Small layers, and a 4 MiB one sent in a single PUT of declared length.
    @Test(arguments: [true, false])
    func corruptedDownloadIsDetectedAndNeverPushed(small: Bool) async throws {
        let plain = try TestServices.registry(.plain).address
        let plain2 = try TestServices.registry(.plain2).address
        let sources = try FaultTestSupport.SourceImages(seed: small ? 40 : 41, small: small)
        let (tag, image) = sources.images[1]
        let repository = RegistryTestSessions.uniqueRepository("corrupt")
        let direct = FaultTestSupport.session([plain, plain2], retryPolicy: .none)
        _ = try await ImageCopier().copy(
            from: try sources.source(tag), to: try FaultTestSupport.repository(direct, plain, repository, tag: tag),
            tag: tag)

        // Every blob download of the first attempt has one byte flipped.
        let proxy = try FaultProxy(
            upstream: plain, schedule: .scripted([FaultRule(.corruptBlob, method: "GET", occurrences: nil)]))
        defer { proxy.stop() }
        let session = FaultTestSupport.session(
            [proxy.address, plain2], retryPolicy: FaultTestSupport.RetryWaits().policy())
        let error = await #expect(throws: (any Error).self) {
            try await ImageCopier().copy(
                from: try FaultTestSupport.repository(session, proxy.address, repository, tag: tag),
                to: try FaultTestSupport.repository(session, plain2, repository, tag: tag), tag: tag)
        }
        #expect(proxy.count(.corruptBlob) >= 1)
        let registryError = error as? RegistryError
        #expect(registryError?.kind == .digestMismatch, "\(String(describing: error))")
        #expect(registryError?.isRetryable == false)
        // Nothing of it reached the destination: no layer, no manifest, no tag.
        let destination = try RegistryTestSessions.session(.plain2).client(for: plain2)
        for (digest, bytes) in image.blobs where bytes.count > 4_096 {
            #expect(try await destination.headBlob(repository, digest) == nil, "blob \(digest)")
        }
        #expect(try await destination.headManifest(repository, .tag(tag)) == nil)

        // Once the proxy stops corrupting, the same copy goes through.
        proxy.schedule = .none
        let report = try await ImageCopier().copy(
            from: try FaultTestSupport.repository(session, proxy.address, repository, tag: tag),
            to: try FaultTestSupport.repository(session, plain2, repository, tag: tag), tag: tag)
        #expect(report.digest == image.rootDigest)
        #expect(try await FaultTestSupport.expectStored(image, kind: .plain2, repository: repository, tag: tag) == [])
    }

    /// A PUT (monolithic) or PATCH (streamed) upload cut in half and reset never becomes a blob.
    @Test(arguments: ["PUT", "PATCH"])
    func truncatedUploadIsNeverCommitted(method: String) async throws {
        let plain = try TestServices.registry(.plain).address
        let sources = try FaultTestSupport.SourceImages(seed: 50, small: true)
        let (tag, image) = sources.images[1]
        let layer = try #require(image.blobs.max { $0.value.count < $1.value.count })
        let proxy = try FaultProxy(
            upstream: plain,
            schedule: .scripted([FaultRule(.truncatedUpload, method: method, pathPattern: "/blobs/uploads/")]))
        defer { proxy.stop() }
        let repository = RegistryTestSessions.uniqueRepository("truncated")
        // Blobs above 64 KiB go by PATCH, smaller ones by one PUT.
        let limit: Int64 = method == "PATCH" ? 64 << 10 : 8 << 20
        let once = FaultTestSupport.session([proxy.address], retryPolicy: .none, monolithicLimit: limit)
        let error = await #expect(throws: RegistryError.self) {
            try await ImageCopier(blobConcurrency: 1).copy(
                from: try sources.source(tag),
                to: try FaultTestSupport.repository(once, proxy.address, repository, tag: tag),
                tag: tag)
        }
        #expect(error?.kind == .network)
        #expect(proxy.count(.truncatedUpload) == 1)
        let truncated = try #require(proxy.injections.first)
        #expect(truncated.method == method)
        let registry = try RegistryTestSessions.session(.plain).client(for: plain)
        #expect(try await registry.headBlob(repository, layer.key) == nil)
        #expect(try await registry.headManifest(repository, .tag(tag)) == nil)

        // With retries the upload starts over in a new session and the image arrives whole.
        proxy.schedule = .scripted([FaultRule(.truncatedUpload, method: method, pathPattern: "/blobs/uploads/")])
        let retrying = FaultTestSupport.session(
            [proxy.address], retryPolicy: FaultTestSupport.RetryWaits().policy(), monolithicLimit: limit)
        let report = try await ImageCopier().copy(
            from: try sources.source(tag),
            to: try FaultTestSupport.repository(retrying, proxy.address, repository, tag: tag),
            tag: tag)
        #expect(report.digest == image.rootDigest)
        #expect(proxy.count(.truncatedUpload) == 2)
        #expect(try await FaultTestSupport.expectStored(image, kind: .plain, repository: repository, tag: tag) == [])
    }

    @Test func retryAfterIsHonouredAndPlainTooManyRequestsBacksOff() async throws {
        let plain = try TestServices.registry(.plain).address
        let sources = try FaultTestSupport.SourceImages(seed: 60, small: true)
        let (tag, image) = sources.images[0]
        var schedule = FaultSchedule.scripted([
            FaultRule(.tooManyRequestsWithRetryAfter, method: "PUT", pathPattern: "/manifests/"),
            FaultRule(.tooManyRequests, method: "HEAD", pathPattern: "/blobs/"),
        ])
        schedule.retryAfterSeconds = 3
        let proxy = try FaultProxy(upstream: plain, schedule: schedule)
        defer { proxy.stop() }
        let waits = FaultTestSupport.RetryWaits()
        let session = FaultTestSupport.session([proxy.address], retryPolicy: waits.policy())
        let repository = RegistryTestSessions.uniqueRepository("retry-after")
        let report = try await ImageCopier().copy(
            from: try sources.source(tag),
            to: try FaultTestSupport.repository(session, proxy.address, repository, tag: tag),
            tag: tag)
        #expect(report.digest == image.rootDigest)
        #expect(proxy.count(.tooManyRequestsWithRetryAfter) == 1)
        #expect(proxy.count(.tooManyRequests) == 1)
        // One wait is the server's 3 s; the other is the policy's own small backoff.
        #expect(waits.waits.filter { $0 == .seconds(3) }.count == 1)
        #expect(waits.waits.filter { $0 < .milliseconds(100) }.count == 1)
        #expect(waits.waits.count == 2)
        #expect(try await FaultTestSupport.expectStored(image, kind: .plain, repository: repository, tag: tag) == [])
    }

    @Test func registryDownThenUpIsWaitedFor() async throws {
        let plain = try TestServices.registry(.plain).address
        let sources = try FaultTestSupport.SourceImages(seed: 70, small: true)
        let (tag, image) = sources.images[2]
        let proxy = try FaultProxy(upstream: plain)
        defer { proxy.stop() }
        let waits = FaultTestSupport.RetryWaits()
        let session = FaultTestSupport.session([proxy.address], retryPolicy: waits.policy(maxAttempts: 1_000))
        let repository = RegistryTestSessions.uniqueRepository("down")
        proxy.takeDown()
        let copy = Task {
            try await ImageCopier().copy(
                from: try sources.source(tag),
                to: try FaultTestSupport.repository(session, proxy.address, repository, tag: tag), tag: tag)
        }
        // Down until the client has been turned away a few times, then back.
        let refused = await HTTPTestPolling.until(timeout: .seconds(20)) { proxy.refusedWhileDown >= 5 }
        proxy.bringUp()
        #expect(refused)
        let report = try await copy.value
        #expect(report.digest == image.rootDigest)
        #expect(waits.waits.count >= 5)
        #expect(proxy.exchanges.contains { !$0.refusedWhileDown && $0.upstreamStatus == 201 })
        #expect(try await FaultTestSupport.expectStored(image, kind: .plain, repository: repository, tag: tag) == [])
    }

    @Test func stalledAnswerIsGivenUpOnAndRetried() async throws {
        let plain = try TestServices.registry(.plain).address
        let sources = try FaultTestSupport.SourceImages(seed: 80, small: true)
        let (tag, image) = sources.images[1]
        let repository = RegistryTestSessions.uniqueRepository("stall")
        let direct = FaultTestSupport.session([plain], retryPolicy: .none)
        _ = try await ImageCopier().copy(
            from: try sources.source(tag), to: try FaultTestSupport.repository(direct, plain, repository, tag: tag),
            tag: tag)
        var schedule = FaultSchedule.scripted([FaultRule(.stall, method: "GET", pathPattern: "/manifests/")])
        schedule.stall = nil  // until the client gives up
        let proxy = try FaultProxy(upstream: plain, schedule: schedule)
        defer { proxy.stop() }
        let session = FaultTestSupport.session(
            [proxy.address], retryPolicy: FaultTestSupport.RetryWaits().policy(), stallTimeout: .seconds(1))
        let manifest = try await FaultTestSupport.repository(session, proxy.address, repository, tag: tag)
            .rootManifest()
        #expect(manifest.bytes == image.rootBytes)
        #expect(proxy.count(.stall) == 1)
        // The stalled request never reached the registry: the client hung up first.
        #expect(proxy.injections.first?.upstreamStatus == nil)
    }
}
