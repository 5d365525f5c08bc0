import Engine
import HTTPClient
import ImageTransports
import OCI
import Registry

/// Turns any error into the one line the user sees and the exit status it deserves.
///
/// Errors caused by what the user handed us (a plan, a layout, a reference, a flag) exit 2;
/// failures of an operation against something outside (a registry, the network) exit 1.
struct ErrorReport {
    let message: String
    let exitStatus: Int32

    init(_ error: any Error) {
        message = String(describing: error) + (Self.hint(for: error).map { "\n  hint: " + $0 } ?? "")
        exitStatus = Self.isInvalidInput(error) ? ExitStatus.invalidInput : ExitStatus.operationFailed
    }

    /// What the user can do about a failure that has a usual cause.
    private static func hint(for error: any Error) -> String? {
        guard let error = error as? RegistryError else { return nil }
        switch error.kind {
        case .unauthorized where error.credentialsWithheld:
            return nil
        case .unauthorized:
            return "the registry wants credentials it did not get or accept: check the entry for this registry"
                + " in the docker config (--docker-config, $DOCKER_CONFIG, ~/.docker/config.json)"
        case .denied:
            return "the credentials were accepted but do not allow this operation on this repository"
        case .network where (error.underlying as? HTTPClientError)?.code == .tlsFailure:
            return "if the registry speaks plain http or uses a certificate you trust, name it with"
                + " --insecure-registry HOST:PORT, or give its CA with --ca-file"
        default:
            return nil
        }
    }

    private static func isInvalidInput(_ error: any Error) -> Bool {
        switch error {
        case let error as TransportError: error.kind == .invalidInput
        case is OCIError, is PlanError, is ImageLocationError, is EndpointError, is DockerConfigError: true
        default: false
        }
    }
}
