import ByteStreams
import Foundation
import Testing

@Suite struct BytePipeTests {
    @Test func deliversChunksInOrderAndEnds() async throws {
        let pipe = BytePipe(capacity: 8)
        let writer = Task {
            for index in 0..<100 { try await pipe.write(Data([UInt8(index)])) }
            pipe.finish()
        }
        var received: [UInt8] = []
        while let chunk = try await pipe.read() { received.append(contentsOf: chunk) }
        try await writer.value
        #expect(received == (0..<100).map { UInt8($0) })
    }

    @Test func writerWaitsWhileFull() async throws {
        let pipe = BytePipe(capacity: 4)
        try await pipe.write(Data(count: 4))
        let second = Task { try await pipe.write(Data(count: 4)) }
        // The second write cannot finish until the reader drains the first chunk.
        #expect(try await pipe.read()?.count == 4)
        try await second.value
        #expect(try await pipe.read()?.count == 4)
    }

    @Test func readerSeesWriterFailure() async throws {
        struct Boom: Error {}
        let pipe = BytePipe()
        try await pipe.write(Data([1]))
        pipe.finish(throwing: Boom())
        await #expect(throws: Boom.self) {
            while try await pipe.read() != nil {}
        }
    }

    @Test func writerFailsAfterReaderCloses() async throws {
        let pipe = BytePipe()
        pipe.close()
        await #expect(throws: ByteSourceError.closed) { try await pipe.write(Data([1])) }
    }

    @Test func readAllRespectsLimit() async throws {
        let source = DataByteSource(Data(count: 100), chunkSize: 10)
        await #expect(throws: ByteSourceError.tooLarge(limit: 50)) { try await source.readAll(limit: 50) }
        let whole = try await DataByteSource(Data(count: 100), chunkSize: 7).readAll(limit: 100)
        #expect(whole.count == 100)
    }

    @Test func fileSourceReadsARange() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bytes-\(UUID().uuidString)").path
        try Data((0..<200).map { UInt8($0) }).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try FileByteSource(path: path, offset: 10, length: 50, chunkSize: 16)
        let bytes = try await source.readAll(limit: 1000)
        #expect(bytes == Data((10..<60).map { UInt8($0) }))
    }
}
