import Foundation
import OCI
import Registry
import TestSupport
import Testing

/// The proxy's schedule is reproducible: the same seed injects the same faults into the same
/// requests, and scripted rules hit exactly the occurrences they name.
@Suite struct FaultProxyScheduleTests {
    /// Sends 40 blob HEADs one after another through a proxy and returns what it injected, per request.
    static func injectedFaults(_ schedule: FaultSchedule) async throws -> [String] {
        let proxy = try FaultProxy(upstream: try TestServices.registry(.plain).address, schedule: schedule)
        defer { proxy.stop() }
        let client = FaultTestSupport.session([proxy.address], retryPolicy: .none).client(for: proxy.address)
        for index in 0..<40 {
            _ = try? await client.headBlob("schedule/test", Digest.sha256(Data("blob \(index)".utf8)))
        }
        return proxy.exchanges.map { "\($0.path) \($0.fault.map { "\($0)" } ?? "clean")" }
    }

    @Test func sameSeedSameFaultsOtherSeedOthers() async throws {
        let kinds: [FaultKind] = [.internalServerError, .serviceUnavailable, .tooManyRequests, .reset]
        let first = try await Self.injectedFaults(.random(seed: 5, probability: 0.1, of: kinds))
        let again = try await Self.injectedFaults(.random(seed: 5, probability: 0.1, of: kinds))
        let other = try await Self.injectedFaults(.random(seed: 6, probability: 0.1, of: kinds))
        #expect(first.count >= 40)  // curl itself resends once on a reused connection that was reset
        #expect(first == again)
        #expect(first != other)
        #expect(first.contains { !$0.hasSuffix("clean") })
        #expect(first.contains { $0.hasSuffix("clean") })
    }

    @Test func scriptedRulesHitTheOccurrencesTheyName() async throws {
        let faults = try await Self.injectedFaults(
            .scripted([FaultRule(.badGateway, method: "HEAD", pathPattern: "/blobs/sha256:", occurrences: [2, 5])]))
        let faulted = faults.enumerated().filter { !$0.element.hasSuffix("clean") }.map(\.offset)
        #expect(faulted == [1, 4])
        #expect(faults.filter { $0.hasSuffix("badGateway") }.count == 2)
    }
}
