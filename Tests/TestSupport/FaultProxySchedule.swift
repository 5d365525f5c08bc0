import Foundation

/// One kind of failure `FaultProxy` can inject.
public enum FaultKind: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    /// 500 with a registry error body, the request not forwarded.
    case internalServerError
    /// 502, not forwarded.
    case badGateway
    /// 503, not forwarded.
    case serviceUnavailable
    /// 429 without `Retry-After`, not forwarded.
    case tooManyRequests
    /// 429 with `Retry-After: <FaultSchedule.retryAfterSeconds>`, not forwarded.
    case tooManyRequestsWithRetryAfter
    /// The connection is reset before the request reaches the registry.
    case reset
    /// The registry carries out the request, then the connection is reset instead of answering.
    case resetAfterForwarding
    /// The registry's answer is sent with its full `Content-Length` but only half of the body, then closed.
    case truncatedBody
    /// The answer is held back for `FaultSchedule.stall` (or until the client gives up), then forwarded.
    case stall
    /// One byte of a blob GET's body is flipped.
    case corruptBlob
    /// Only the first half of a PATCH or PUT body reaches the registry, then both sides are reset.
    case truncatedUpload

    public var description: String { rawValue }

    /// Whether the fault can apply to a request (a body to truncate, a blob to corrupt).
    func applies(method: String, path: String, bodyLength: Int?) -> Bool {
        switch self {
        case .internalServerError, .badGateway, .serviceUnavailable, .tooManyRequests,
            .tooManyRequestsWithRetryAfter, .reset, .resetAfterForwarding, .stall:
            true
        case .truncatedBody: method == "GET"
        case .corruptBlob: method == "GET" && path.contains("/blobs/sha256:")
        case .truncatedUpload: (method == "PATCH" || method == "PUT") && (bodyLength ?? 0) >= 2
        }
    }
}

/// A scripted fault: injected on the listed occurrences of the requests it matches.
public struct FaultRule: Sendable {
    public var fault: FaultKind
    /// `GET`, `PUT`, …; nil matches every method.
    public var method: String?
    /// A regular expression searched in the request path (no query); nil matches every path.
    public var pathPattern: String?
    /// Which matching requests (numbered from 1 per rule) get the fault; nil means every one.
    public var occurrences: Set<Int>?

    public init(_ fault: FaultKind, method: String? = nil, pathPattern: String? = nil, occurrences: Set<Int>? = [1]) {
        self.fault = fault
        self.method = method
        self.pathPattern = pathPattern
        self.occurrences = occurrences
    }

    func matches(method: String, path: String) -> Bool {
        if let wanted = self.method, wanted != method { return false }
        if let pattern = pathPattern, path.range(of: pattern, options: .regularExpression) == nil { return false }
        return true
    }
}

/// When `FaultProxy` injects what: scripted rules first, then seeded random draws.
///
/// A random decision depends only on the seed, the request's identity (method and path, with upload
/// session ids blanked and a PUT's digest kept) and how many times that identity was seen before, so
/// the same seed picks the same faults however the client's requests interleave.
public struct FaultSchedule: Sendable {
    public var seed: UInt64
    /// Chance in 0…1 of each fault per request it applies to; drawn in `FaultKind` order.
    public var probabilities: [FaultKind: Double]
    public var rules: [FaultRule]
    /// No request identity is faulted more often than this in a row, so retries always get through.
    public var maxConsecutiveFaults: Int
    /// Random faults stop after this many (scripted ones do not count against it).
    public var maxRandomFaults: Int
    public var retryAfterSeconds: Int
    /// How long a `.stall` holds the answer; nil holds it until the client closes (at most 30 s).
    public var stall: Duration?

    public init(
        seed: UInt64 = 0, probabilities: [FaultKind: Double] = [:], rules: [FaultRule] = [],
        maxConsecutiveFaults: Int = 2, maxRandomFaults: Int = 1_000, retryAfterSeconds: Int = 1,
        stall: Duration? = .milliseconds(200)
    ) {
        self.seed = seed
        self.probabilities = probabilities
        self.rules = rules
        self.maxConsecutiveFaults = maxConsecutiveFaults
        self.maxRandomFaults = maxRandomFaults
        self.retryAfterSeconds = retryAfterSeconds
        self.stall = stall
    }

    /// Forwards everything untouched.
    public static let none = FaultSchedule()

    /// Only the scripted `rules`.
    public static func scripted(_ rules: [FaultRule]) -> FaultSchedule { FaultSchedule(rules: rules) }

    /// The same chance of every fault in `kinds`.
    public static func random(seed: UInt64, probability: Double, of kinds: [FaultKind] = FaultKind.allCases)
        -> FaultSchedule
    {
        FaultSchedule(seed: seed, probabilities: Dictionary(uniqueKeysWithValues: kinds.map { ($0, probability) }))
    }

    /// The identity random decisions are keyed on.
    static func identity(method: String, target: String) -> String {
        let path = String(target.prefix { $0 != "?" })
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if let uploads = parts.lastIndex(of: "uploads"), uploads + 1 < parts.count, !parts[uploads + 1].isEmpty {
            parts[uploads + 1] = "*"
        }
        var identity = method + " " + parts.joined(separator: "/")
        if let query = target.split(separator: "?", maxSplits: 1).dropFirst().first,
            let digest = query.split(separator: "&").first(where: { $0.hasPrefix("digest=") })
        {
            identity += " " + digest
        }
        return identity
    }

    /// A seeded fault for occurrence `occurrence` of `identity`, among the kinds that apply.
    func randomFault(identity: String, occurrence: Int, applicable: (FaultKind) -> Bool) -> FaultKind? {
        var generator = FaultRandom(seed: seed ^ FaultRandom.hash(identity) ^ (UInt64(occurrence) &* 0x9E37_79B9))
        for kind in FaultKind.allCases {
            guard let probability = probabilities[kind], probability > 0 else { continue }
            let draw = generator.nextUnit()
            if applicable(kind), draw < probability { return kind }
        }
        return nil
    }
}

/// Seeded draws (SplitMix64) and FNV-1a hashes: the same on every machine.
struct FaultRandom {
    private var generator: FuzzRandom

    init(seed: UInt64) { generator = FuzzRandom(seed: seed) }

    /// A number in 0..<1.
    mutating func nextUnit() -> Double { Double(generator.next() >> 11) / Double(1 << 53) }

    static func hash(_ text: String) -> UInt64 {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return value
    }
}
