/// The number of a run, as users see it (`--run 3`).
public struct RunID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
    public static func < (lhs: RunID, rhs: RunID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The number of a step, unique across runs in one database.
public struct StepID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
    public static func < (lhs: StepID, rhs: StepID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Proof that a worker holds a running step: every state change it makes must present it.
public struct StepLease: Hashable, Sendable {
    public let step: StepID
    public let owner: String
    public init(step: StepID, owner: String) {
        self.step = step
        self.owner = owner
    }
}
