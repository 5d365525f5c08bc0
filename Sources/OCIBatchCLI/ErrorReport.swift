import Engine
import ImageTransports
import OCI

/// Turns any error into the one line the user sees and the exit status it deserves.
///
/// Errors caused by what the user handed us (a plan, a layout, a reference, a flag) exit 2;
/// failures of an operation against something outside (a registry, the network) exit 1.
struct ErrorReport {
    let message: String
    let exitStatus: Int32

    init(_ error: any Error) {
        message = String(describing: error)
        exitStatus = Self.isInvalidInput(error) ? ExitStatus.invalidInput : ExitStatus.operationFailed
    }

    private static func isInvalidInput(_ error: any Error) -> Bool {
        switch error {
        case let error as TransportError: error.kind == .invalidInput
        case is OCIError, is PlanError, is ImageLocationError, is EndpointError: true
        default: false
        }
    }
}
