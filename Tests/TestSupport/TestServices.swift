import Foundation

/// Why the tests cannot reach the services that `Tests/run` starts.
public struct TestServicesError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// The registries started by `Tests/services/start`.
public enum TestRegistryKind: String, CaseIterable, Sendable {
    /// Plain HTTP, no authentication, deletes enabled.
    case plain
    /// A second plain registry, for registry-to-registry copies.
    case plain2
    /// TLS with the test CA and htpasswd Basic authentication.
    case tls
    /// Plain HTTP with Bearer tokens from the test token server.
    case token

    fileprivate var variablePrefix: String { "OCIBATCH_TEST_" + rawValue.uppercased() }
}

/// One running docker-registry: where it listens and where it keeps its files.
public struct TestRegistry: Sendable {
    public let kind: TestRegistryKind
    /// `127.0.0.1:PORT`.
    public let address: String
    /// `storage.filesystem.rootdirectory`: wipe it, or inspect what was stored.
    public let storageDirectory: String
    /// The registry's config, for `docker-registry garbage-collect CONFIG`.
    public let configPath: String
}

/// A fixed test-only user name and password.
public struct TestCredentials: Sendable {
    public let username: String
    public let password: String
}

/// Typed access to the services `Tests/run` starts, read from the environment it exports.
///
/// Every accessor throws when the services are not running, naming the missing variable and how to
/// start them: a test that needs a registry fails rather than silently skipping.
/// When a variable is missing from the environment it is looked up in the env file that
/// `Tests/services/start` writes, so `swift test` after a manual start works too.
public enum TestServices {
    /// The plain HTTP registry, `127.0.0.1:PORT`.
    public static var plainRegistry: String {
        get throws { try value("OCIBATCH_TEST_REGISTRY_PLAIN") }
    }

    /// The second plain HTTP registry, `127.0.0.1:PORT`.
    public static var secondPlainRegistry: String {
        get throws { try value("OCIBATCH_TEST_REGISTRY_PLAIN2") }
    }

    /// The TLS registry with Basic authentication, `127.0.0.1:PORT` (its certificate also names `localhost`).
    public static var tlsRegistry: String {
        get throws { try value("OCIBATCH_TEST_REGISTRY_TLS") }
    }

    /// PEM file of the CA that signed the TLS registry's certificate.
    public static var tlsCAFile: String {
        get throws { try value("OCIBATCH_TEST_TLS_CA") }
    }

    /// A directory holding only `ca.crt`, the form skopeo's `--cert-dir` wants.
    public static var tlsCertDirectory: String {
        get throws { try value("OCIBATCH_TEST_TLS_CERT_DIR") }
    }

    /// The user the TLS registry's htpasswd file accepts.
    public static var tlsCredentials: TestCredentials {
        get throws {
            TestCredentials(
                username: try value("OCIBATCH_TEST_TLS_USER"), password: try value("OCIBATCH_TEST_TLS_PASSWORD"))
        }
    }

    /// The registry that wants Bearer tokens, `127.0.0.1:PORT`.
    public static var tokenRegistry: String {
        get throws { try value("OCIBATCH_TEST_REGISTRY_TOKEN") }
    }

    /// The token server's base URL; tokens come from `/token`, counters from `/stats`.
    public static var tokenServer: URL {
        get throws {
            let text = try value("OCIBATCH_TEST_TOKEN_SERVER")
            guard let url = URL(string: text) else {
                throw TestServicesError("OCIBATCH_TEST_TOKEN_SERVER is not a URL: \(text)")
            }
            return url
        }
    }

    /// The `service` the token registry names in its challenge.
    public static var tokenService: String {
        get throws { try value("OCIBATCH_TEST_TOKEN_SERVICE") }
    }

    /// The user the token server accepts; it is granted every action it asks for.
    public static var tokenCredentials: TestCredentials {
        get throws {
            TestCredentials(
                username: try value("OCIBATCH_TEST_TOKEN_USER"), password: try value("OCIBATCH_TEST_TOKEN_PASSWORD"))
        }
    }

    /// A refresh token the token server always accepts (a docker config `identitytoken`).
    public static var tokenRefreshToken: String {
        get throws { try value("OCIBATCH_TEST_TOKEN_REFRESH_TOKEN") }
    }

    /// Address, storage directory and config path of one registry.
    public static func registry(_ kind: TestRegistryKind) throws -> TestRegistry {
        TestRegistry(
            kind: kind,
            address: try value("OCIBATCH_TEST_REGISTRY_" + kind.rawValue.uppercased()),
            storageDirectory: try value(kind.variablePrefix + "_STORAGE"),
            configPath: try value(kind.variablePrefix + "_CONFIG"))
    }

    /// Tokens the token server has issued so far: in total, and per repository named in a scope.
    public static func tokenServerStats() throws -> TokenServerStats {
        let url = try tokenServer.appendingPathComponent("stats").absoluteString
        let result = try TestProcess.run("curl", ["-sS", "--fail", "--max-time", "10", url])
        guard result.status == 0 else {
            throw TestServicesError(
                "token server \(url) did not answer: \(String(decoding: result.stderr, as: UTF8.self))")
        }
        do {
            return try JSONDecoder().decode(TokenServerStats.self, from: result.stdout)
        } catch {
            throw TestServicesError("token server \(url) sent stats that do not decode: \(error)")
        }
    }

    /// The value of a service variable, from the environment or else the env file `Tests/services/start` wrote.
    public static func value(_ name: String) throws -> String {
        if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty {
            return value
        }
        let file = envFilePath()
        if let value = try? parseEnvFile(String(contentsOfFile: file, encoding: .utf8))[name], !value.isEmpty {
            return value
        }
        throw TestServicesError(
            "\(name) is not set and \(file) does not define it: the tests need the local registries and token "
                + "server. Run the tests with Tests/run, or run Tests/services/start before swift test.")
    }

    private static func envFilePath() -> String {
        if let directory = ProcessInfo.processInfo.environment["OCIBATCH_SERVICES_DIR"], !directory.isEmpty {
            return directory + "/env"
        }
        // This file is Tests/TestSupport/TestServices.swift; the default state directory is ./.services.
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".services/env").path
    }

    /// Reads the `export NAME='value'` lines that `Tests/services/start` writes.
    static func parseEnvFile(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard line.hasPrefix("export "), let equals = line.firstIndex(of: "=") else { continue }
            let name = String(line[line.index(line.startIndex, offsetBy: 7)..<equals])
            var value = line[line.index(after: equals)...]
            if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") {
                value = value.dropFirst().dropLast()
            }
            values[name] = String(value)
        }
        return values
    }
}

/// The token server's counters (`GET /stats`).
public struct TokenServerStats: Decodable, Sendable {
    /// Every token issued, by any flow.
    public let issued: Int
    /// Tokens issued to callers without credentials.
    public let issuedAnonymous: Int
    /// Tokens issued through the OAuth2 `POST /token` flow.
    public let issuedOAuth: Int
    /// Requests refused for bad credentials or an unknown refresh token.
    public let rejected: Int
    /// Tokens issued per repository named in a requested scope.
    public let repositories: [String: Int]

    private enum CodingKeys: String, CodingKey {
        case issued
        case issuedAnonymous = "issued_anonymous"
        case issuedOAuth = "issued_oauth"
        case rejected
        case repositories
    }

    /// Tokens issued for scopes naming `repository`.
    public func issued(for repository: String) -> Int { repositories[repository] ?? 0 }
}
