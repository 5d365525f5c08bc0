/// One challenge from a `WWW-Authenticate` header: a scheme and its parameters.
///
/// Schemes and parameter names are case-insensitive, so both are stored lower-cased; values are
/// kept as sent (with quoting and escapes removed).
public struct AuthChallenge: Sendable, Equatable {
    public var scheme: String
    public var parameters: [String: String]
    /// The single opaque token some schemes carry instead of parameters (RFC 7235 `token68`).
    public var token68: String?

    public init(scheme: String, parameters: [String: String] = [:], token68: String? = nil) {
        self.scheme = scheme.lowercased()
        self.parameters = Dictionary(parameters.map { ($0.key.lowercased(), $0.value) }) { _, last in last }
        self.token68 = token68
    }

    public var realm: String? { parameters["realm"] }
    public var service: String? { parameters["service"] }
    public var scope: String? { parameters["scope"] }

    /// Every challenge in a header value, in order. Malformed trailing text is ignored.
    public static func parse(_ header: String) -> [AuthChallenge] {
        var scanner = ChallengeScanner(Array(header.unicodeScalars))
        var challenges: [AuthChallenge] = []
        while true {
            scanner.skip { $0 == " " || $0 == "\t" || $0 == "," }
            guard !scanner.atEnd else { break }
            let scheme = scanner.token()
            guard !scheme.isEmpty else {
                scanner.advance()  // an unexpected character: drop it and resynchronise
                continue
            }
            var challenge = AuthChallenge(scheme: scheme)
            scanner.skipSpaces()
            if let token68 = scanner.token68() {
                challenge.token68 = token68
            } else {
                while let (name, value) = scanner.parameter() {
                    challenge.parameters[name.lowercased()] = value
                }
            }
            challenges.append(challenge)
        }
        return challenges
    }
}

/// A cursor over the header's characters; every method leaves it after what it consumed.
private struct ChallengeScanner {
    private let characters: [Unicode.Scalar]
    private var position = 0

    init(_ characters: [Unicode.Scalar]) { self.characters = characters }

    var atEnd: Bool { position >= characters.count }
    private var current: Unicode.Scalar? { atEnd ? nil : characters[position] }

    mutating func advance() { position += 1 }

    mutating func skip(while predicate: (Unicode.Scalar) -> Bool) {
        while let character = current, predicate(character) { position += 1 }
    }

    mutating func skipSpaces() { skip { $0 == " " || $0 == "\t" } }

    /// An RFC 7230 token.
    mutating func token() -> String {
        let start = position
        skip(while: Self.isTokenCharacter)
        return String(String.UnicodeScalarView(characters[start..<position]))
    }

    /// `name = value` followed by a comma or the end; nil (consuming nothing) when what follows
    /// is the next challenge's scheme instead.
    mutating func parameter() -> (String, String)? {
        let start = position
        skip { $0 == " " || $0 == "\t" || $0 == "," }
        let name = token()
        skipSpaces()
        guard !name.isEmpty, current == "=" else {
            position = start
            return nil
        }
        advance()
        skipSpaces()
        let value = current == "\"" ? quotedString() : token()
        skipSpaces()
        if current == "," { advance() }
        return (name, value)
    }

    /// A token68 (`abc+/==`) standing alone after the scheme, or nil without consuming anything.
    ///
    /// It must be followed by a comma or the end; `name=value` is a parameter instead.
    mutating func token68() -> String? {
        let start = position
        skip { Self.isTokenCharacter($0) || $0 == "/" }
        guard position > start else { return nil }
        skip { $0 == "=" }
        let text = String(String.UnicodeScalarView(characters[start..<position]))
        skipSpaces()
        if current == nil || current == "," { return text }
        position = start
        return nil
    }

    /// A quoted string with backslash escapes; the cursor starts on the opening quote.
    private mutating func quotedString() -> String {
        advance()
        var value = String.UnicodeScalarView()
        while let character = current {
            advance()
            if character == "\"" { break }
            if character == "\\", let escaped = current {
                value.append(escaped)
                advance()
            } else {
                value.append(character)
            }
        }
        return String(value)
    }

    private static func isTokenCharacter(_ character: Unicode.Scalar) -> Bool {
        switch character {
        case "a"..."z", "A"..."Z", "0"..."9": true
        case "!", "#", "$", "%", "&", "'", "*", "+", "-", ".", "^", "_", "`", "|", "~": true
        default: false
        }
    }
}
