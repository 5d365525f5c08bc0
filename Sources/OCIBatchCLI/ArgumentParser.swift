/// A small command-line parser: flags with values (`--name V` or `--name=V`), repeatable flags,
/// boolean switches and positional arguments. Errors name the flag or argument at fault.
struct ArgumentSpec: Sendable {
    enum Kind: Sendable {
        case flag  // a switch: present or not
        case value  // takes exactly one value; the last occurrence wins
        case repeated  // takes one value; every occurrence is kept
    }

    struct Option: Sendable {
        let name: String
        let kind: Kind
        let valueName: String
        let help: String
    }

    var options: [Option] = []
    /// Names of positional arguments, for help and for "missing argument" errors.
    var positionals: [String] = []
    /// Whether more positionals than named may follow (for example `delete REF…`).
    var variadicPositionals = false
    var minimumPositionals = 0

    func option(named name: String) -> Option? {
        options.first { $0.name == name }
    }
}

struct ParsedArguments: Sendable {
    private(set) var values: [String: [String]] = [:]
    private(set) var positionals: [String] = []

    func has(_ flag: String) -> Bool { values[flag] != nil }
    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }

    mutating func add(_ name: String, _ value: String) { values[name, default: []].append(value) }
    mutating func addPositional(_ value: String) { positionals.append(value) }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension ArgumentSpec {
    func parse(_ arguments: [String]) throws -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositionals || !argument.hasPrefix("--") || argument == "-" {
                if argument.hasPrefix("-") && argument.count > 1 && !onlyPositionals && argument != "-" {
                    throw UsageError("unknown option '\(argument)'")
                }
                parsed.addPositional(argument)
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                continue
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = option(named: name) else {
                throw UsageError("unknown option '--\(name)'")
            }
            switch option.kind {
            case .flag:
                if inlineValue != nil { throw UsageError("option '--\(name)' takes no value") }
                parsed.add(name, "")
            case .value, .repeated:
                if let inlineValue {
                    parsed.add(name, inlineValue)
                } else {
                    guard index < arguments.count else {
                        throw UsageError("option '--\(name)' needs a value (\(option.valueName))")
                    }
                    parsed.add(name, arguments[index])
                    index += 1
                }
            }
        }
        if parsed.positionals.count < max(minimumPositionals, variadicPositionals ? 0 : positionals.count) {
            let missing = positionals.dropFirst(parsed.positionals.count).first ?? "argument"
            throw UsageError("missing \(missing)")
        }
        if !variadicPositionals && parsed.positionals.count > positionals.count {
            let extra = parsed.positionals[positionals.count]
            throw UsageError("unexpected argument '\(extra)'")
        }
        return parsed
    }

    /// The options part of a command's `--help`, one per line, aligned.
    func optionsHelp() -> String {
        let rendered = options.map { option -> (String, String) in
            let left = option.kind == .flag ? "--\(option.name)" : "--\(option.name) \(option.valueName)"
            let suffix = option.kind == .repeated ? " (repeatable)" : ""
            return (left, option.help + suffix)
        }
        let width = (rendered.map(\.0.count).max() ?? 0) + 2
        return rendered.map { left, help in
            "  " + left + String(repeating: " ", count: width - left.count) + help
        }.joined(separator: "\n")
    }
}
