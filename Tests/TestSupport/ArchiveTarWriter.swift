import Foundation

/// Builds ustar archives in memory, including the hostile ones (absolute names, `..`, escaping links)
/// that ordinary tar tools refuse to write.
public struct ArchiveTarWriter: Sendable {
    public enum EntryKind: Sendable {
        case file(Data)
        case directory
        case symlink(String)
        case hardlink(String)
    }

    public private(set) var data = Data()

    public init() {}

    public mutating func addFile(_ name: String, _ contents: Data) { add(name, .file(contents)) }
    public mutating func addFile(_ name: String, _ text: String) { add(name, .file(Data(text.utf8))) }

    public mutating func add(_ name: String, _ kind: EntryKind) {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, length: Int) {
            for (index, byte) in text.utf8.prefix(length).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, length: Int) {
            let digits = String(value, radix: 8)
            put(
                String(repeating: "0", count: max(0, length - 1 - digits.count)) + digits, at: offset,
                length: length - 1)
        }
        var contents = Data()
        var type: Character = "0"
        var link = ""
        switch kind {
        case .file(let bytes): contents = bytes
        case .directory: type = "5"
        case .symlink(let target):
            type = "2"
            link = target
        case .hardlink(let target):
            type = "1"
            link = target
        }
        put(name, at: 0, length: 100)
        octal(type == "5" ? 0o755 : 0o644, at: 100, length: 8)
        octal(0, at: 108, length: 8)
        octal(0, at: 116, length: 8)
        octal(contents.count, at: 124, length: 12)
        octal(0, at: 136, length: 12)
        header[156] = type.asciiValue ?? 0x30
        put(link, at: 157, length: 100)
        put("ustar", at: 257, length: 6)
        put("00", at: 263, length: 2)
        for index in 148..<156 { header[index] = 0x20 }
        let checksum = header.reduce(0) { $0 + Int($1) }
        octal(checksum, at: 148, length: 7)
        data.append(contentsOf: header)
        data.append(contents)
        let padding = (512 - contents.count % 512) % 512
        data.append(Data(count: padding))
    }

    /// The archive with its end-of-archive marker.
    public func finished() -> Data {
        data + Data(count: 1024)
    }

    /// Writes the finished archive to `path`.
    public func write(to path: String) throws {
        try finished().write(to: URL(fileURLWithPath: path))
    }
}
