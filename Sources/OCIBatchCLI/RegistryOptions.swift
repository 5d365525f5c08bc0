import Engine
import Foundation
import Registry

/// The flags every command that talks to registries shares.
enum RegistryOptions {
    static let options: [ArgumentSpec.Option] = [
        .init(
            name: "docker-config", kind: .value, valueName: "PATH",
            help: "docker config.json (or a directory holding .dockerconfigjson); default $DOCKER_CONFIG or ~/.docker"),
        .init(
            name: "insecure-registry", kind: .repeated, valueName: "HOST[:PORT]",
            help: "allow http and unverified TLS for this registry only"),
        .init(name: "ca-file", kind: .value, valueName: "PATH", help: "PEM bundle of CAs to trust for registries"),
    ]

    /// A session configured from the flags; credentials come from the docker config.
    static func session(_ arguments: ParsedArguments, context: CommandContext) throws -> RegistrySession {
        if let caFile = arguments.value("ca-file").map(context.resolve) { try checkCAFile(caFile) }
        for host in arguments.all("insecure-registry") { try checkRegistryName(host) }
        let configuration = try RegistryConfiguration.fromFlags(
            dockerConfigPath: arguments.value("docker-config").map(context.resolve),
            insecureRegistries: arguments.all("insecure-registry"),
            caFile: arguments.value("ca-file").map(context.resolve),
            userAgent: "ocibatch/\(OCIBatchCommand.version)",
            environment: context.environment)
        let session = RegistrySession(configuration: configuration)
        context.atEnd { session.http.shutdown() }
        return session
    }

    /// A CA file must be a readable file holding at least one PEM certificate.
    static func checkCAFile(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw UsageError("--ca-file \(path): the file does not exist")
        }
        guard !isDirectory.boolValue else { throw UsageError("--ca-file \(path): is a directory, not a PEM file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("--ca-file \(path): the file cannot be read")
        }
        guard data.range(of: Data("-----BEGIN CERTIFICATE-----".utf8)) != nil else {
            throw UsageError("--ca-file \(path): holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
    }

    /// `host`, `host:port`, `[v6]:port`, or `http://host:port`; nothing else names a registry.
    static func checkRegistryName(_ text: String) throws {
        let name = text.hasPrefix("http://") ? String(text.dropFirst(7)) : text
        let hostPort = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?$/
        guard name.wholeMatch(of: hostPort) != nil else {
            throw UsageError("--insecure-registry \(text): not a registry name; use HOST or HOST:PORT")
        }
    }

    static func endpoints(_ arguments: ParsedArguments, context: CommandContext) throws -> ImageEndpoints {
        ImageEndpoints(session: try session(arguments, context: context))
    }
}
