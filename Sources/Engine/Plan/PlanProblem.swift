/// One thing wrong with a plan, at a JSON path such as `$.jobs[2].copy.from`.
public struct PlanProblem: Sendable, Hashable, CustomStringConvertible {
    /// Where in the document: `$` is the root, `.key` an object member, `[n]` an array element.
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// A plan that cannot be run, with every problem found in it (never just the first).
public struct PlanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The plan file, or a description of where the plan came from.
    public let source: String
    public let problems: [PlanProblem]

    public init(source: String, problems: [PlanProblem]) {
        self.source = source
        self.problems = problems
    }

    /// The paths of all problems, in the order they were found.
    public var paths: [String] { problems.map(\.path) }

    /// A heading naming the plan and the number of problems, then one problem per line.
    public var description: String {
        let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return (["\(source): invalid plan, \(count):"] + problems.map { "  \($0)" }).joined(separator: "\n")
    }
}

/// A JSON path being built while walking a document.
struct JSONPath: CustomStringConvertible {
    private(set) var text: String

    static let root = JSONPath(text: "$")

    /// The path of member `key`; keys that are not plain identifiers are quoted in brackets.
    func member(_ key: String) -> JSONPath {
        let isIdentifier =
            !key.isEmpty && key.first.map { $0.isLetter || $0 == "_" } == true
            && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        guard isIdentifier else {
            let escaped = key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return JSONPath(text: text + "[\"\(escaped)\"]")
        }
        return JSONPath(text: text + "." + key)
    }

    func element(_ index: Int) -> JSONPath {
        JSONPath(text: text + "[\(index)]")
    }

    var description: String { text }
}
