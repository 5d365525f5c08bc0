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
        if let caFile = arguments.value("ca-file").map(context.resolve),
            !FileManager.default.isReadableFile(atPath: caFile)
        {
            throw UsageError("--ca-file \(caFile): the file does not exist or cannot be read")
        }
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

    static func endpoints(_ arguments: ParsedArguments, context: CommandContext) throws -> ImageEndpoints {
        ImageEndpoints(session: try session(arguments, context: context))
    }
}
