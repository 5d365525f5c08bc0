import Foundation
import TestSupport
import Testing

@testable import ImageTransports

struct TarArchiveTests {
    @Test(arguments: [
        ("manifest.json", "manifest.json"),
        ("./manifest.json", "manifest.json"),
        ("blobs//sha256/./abc", "blobs/sha256/abc"),
        ("dir/", "dir"),
    ])
    func normalizesEntryNames(raw: String, expected: String) throws {
        #expect(try TarPath.normalize(raw, archive: "a.tar") == expected)
    }

    @Test(arguments: ["/etc/x", "../x", "a/../../x", "a/.."])
    func refusesHostileEntryNames(raw: String) {
        #expect(throws: TransportError.self) { try TarPath.normalize(raw, archive: "a.tar") }
    }

    @Test(arguments: [
        ("a/layer.tar", "../b/layer.tar", "b/layer.tar"),
        ("a/layer.tar", "layer2.tar", "a/layer2.tar"),
        ("link", "./target", "target"),
    ])
    func resolvesSymlinksInside(entry: String, target: String, expected: String) throws {
        #expect(try TarPath.resolveSymlink(entry: entry, target: target, archive: "a.tar") == expected)
    }

    @Test(arguments: [("a/layer.tar", "../../x"), ("link", "../x"), ("link", "/etc/passwd")])
    func refusesSymlinksOutside(entry: String, target: String) {
        #expect(throws: TransportError.self) {
            try TarPath.resolveSymlink(entry: entry, target: target, archive: "a.tar")
        }
    }

    @Test(
        arguments: [
            ([0x1f, 0x8b, 0x08, 0x00], LayerCompression.gzip),
            ([0x28, 0xb5, 0x2f, 0xfd, 0x00], LayerCompression.zstd),
            (Array("layer.txt".utf8), LayerCompression.none),
            ([], LayerCompression.none),
        ] as [([UInt8], LayerCompression)])
    func detectsCompression(prefix: [UInt8], expected: LayerCompression) throws {
        #expect(try LayerCompression.detect(Data(prefix), layer: "layer") == expected)
    }

    @Test func refusesXZLayers() {
        #expect(throws: TransportError.self) {
            try LayerCompression.detect(Data([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00]), layer: "layer")
        }
    }

    @Test func listsReadsAndStreamsEntries() async throws {
        let scratch = try LayoutScratchDirectory()
        var tar = ArchiveTarWriter()
        var big = Data(count: 3_000_000)
        big.withUnsafeMutableBytes { bytes in
            for index in bytes.indices { bytes[index] = UInt8(index % 251) }
        }
        tar.add("dir/", .directory)
        tar.addFile("dir/small.txt", "hello")
        tar.addFile("big.bin", big)
        tar.add("dir/link", .symlink("../big.bin"))
        tar.add("hard", .hardlink("dir/small.txt"))
        let path = scratch.join("a.tar")
        try tar.write(to: path)

        let archive = try TarArchive(path: path)
        #expect(archive.names == ["dir", "dir/small.txt", "big.bin", "dir/link", "hard"])
        #expect(try archive.read("dir/small.txt", limit: 100) == Data("hello".utf8))
        #expect(try archive.read("hard", limit: 100) == Data("hello".utf8))
        #expect(throws: TransportError.self) { try archive.read("big.bin", limit: 100) }

        let stream = try archive.open("dir/link")
        var streamed = Data()
        while let chunk = try await stream.read() { streamed.append(chunk) }
        #expect(streamed == big)
    }

    @Test(arguments: [
        ("../x", ArchiveTarWriter.EntryKind.file(Data("x".utf8)), "contains \"..\""),
        ("/etc/x", .file(Data("x".utf8)), "absolute path"),
        ("evil", .symlink("../../etc/passwd"), "outside the archive"),
        ("evil", .symlink("/etc/passwd"), "outside the archive"),
        ("./manifest.json", .file(Data("[1]".utf8)), "appears more than once"),
    ])
    func refusesHostileArchives(name: String, kind: ArchiveTarWriter.EntryKind, expected: String) throws {
        let scratch = try LayoutScratchDirectory()
        var tar = ArchiveTarWriter()
        tar.addFile("manifest.json", "[]")
        tar.add(name, kind)
        let path = scratch.join("hostile.tar")
        try tar.write(to: path)
        let error = #expect(throws: TransportError.self) { try TarArchive(path: path) }
        #expect(error?.message.contains(expected) == true)
        #expect(error?.message.contains(path) == true)
    }

    @Test func namesMissingAndUnreadableArchives() throws {
        let scratch = try LayoutScratchDirectory()
        let missing = #expect(throws: TransportError.self) { try TarArchive(path: scratch.join("none.tar")) }
        #expect(missing?.message.contains("no such file") == true)
        try Data("not a tar at all, just some words that go on".utf8).write(to: URL(fileURLWithPath: scratch.join("t")))
        #expect(throws: TransportError.self) { try TarArchive(path: scratch.join("t")) }
    }
}
