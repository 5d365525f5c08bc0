import Foundation

/// SplitMix64: small, seeded, the same sequence on every machine.
public struct FuzzRandom: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Seeded mutations of valid inputs for fuzz tests: byte flips, truncation, splicing, deep
/// nesting, huge numbers and invalid UTF-8.
public enum FuzzMutator {
    /// How many inputs a fuzz test tries: `OCIBATCH_FUZZ_ITERATIONS`, else `default`.
    public static func iterations(default fallback: Int = 3_000) -> Int {
        iterationsFromEnvironment ?? fallback
    }

    private static var iterationsFromEnvironment: Int? {
        ProcessInfo.processInfo.environment["OCIBATCH_FUZZ_ITERATIONS"].flatMap(Int.init)
    }

    /// Runs `body` for each iteration until the count or `limit` is reached, whichever comes first;
    /// returns how many ran. The limit keeps CI bounded (nothing is asserted about time); it is
    /// lifted when `OCIBATCH_FUZZ_ITERATIONS` asks for a longer run.
    @discardableResult
    public static func run(iterations: Int = iterations(), limit: Duration = .seconds(10), _ body: (Int) throws -> Void)
        rethrows -> Int
    {
        let clock = ContinuousClock()
        let deadline = iterationsFromEnvironment == nil ? clock.now + limit : nil
        var done = 0
        while done < iterations, done < 100 || deadline.map({ clock.now < $0 }) ?? true {
            try body(done)
            done += 1
        }
        return done
    }

    /// Bytes that break JSON, references and UTF-8 in interesting ways.
    static let fragments: [[UInt8]] = [
        Array(#"{"#.utf8), Array(#"}"#.utf8), Array(#"["#.utf8), Array(#"]"#.utf8), Array(#"""#.utf8),
        Array(#":"#.utf8), Array(#","#.utf8), Array(#"\"#.utf8), Array(#"\u"#.utf8), Array(#"\ud800"#.utf8),
        Array("null".utf8), Array("-0".utf8), Array("1e999999".utf8), Array("-1e-999999".utf8),
        Array(String(repeating: "9", count: 40).utf8), Array("0.0000000000000000000001".utf8),
        Array("@".utf8), Array("/".utf8), Array("sha256:".utf8), Array(":".utf8), Array("..".utf8),
        [0x00], [0x0A], [0x7F], [0xFF], [0xFE], [0xC3], [0xC3, 0x28], [0xC0, 0xAF], [0xED, 0xA0, 0x80],
        [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x80, 0xAE],
    ]

    /// One to four mutations of `input`; `corpus` supplies pieces to splice in.
    public static func mutate(_ input: [UInt8], corpus: [[UInt8]], using generator: inout FuzzRandom) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<8, using: &generator) {
            case 0 where !bytes.isEmpty:
                bytes[position] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            case 1:
                bytes = Array(bytes.prefix(position))
            case 2:
                bytes.insert(contentsOf: fragments.randomElement(using: &generator) ?? [], at: position)
            case 3 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &generator))
                bytes.replaceSubrange(position..<end, with: fragments.randomElement(using: &generator) ?? [])
            case 4:
                // Splice: a piece of another input.
                if let other = corpus.randomElement(using: &generator), !other.isEmpty {
                    let start = Int.random(in: 0..<other.count, using: &generator)
                    let end = min(other.count, start + Int.random(in: 1...64, using: &generator))
                    bytes.insert(contentsOf: other[start..<end], at: position)
                }
            case 5:
                // Deep nesting around the whole input.
                let depth = [10, 63, 64, 65, 200, 5_000].randomElement(using: &generator) ?? 10
                let (open, close): (UInt8, UInt8) = Bool.random(using: &generator) ? (0x5B, 0x5D) : (0x7B, 0x7D)
                bytes = Array(repeating: open, count: depth) + bytes + Array(repeating: close, count: depth)
            case 6 where !bytes.isEmpty:
                // Duplicate a run, as a repeated key or element would.
                let end = min(bytes.count, position + Int.random(in: 1...48, using: &generator))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            default:
                if !bytes.isEmpty { bytes.remove(at: position) }
            }
        }
        return bytes
    }
}
