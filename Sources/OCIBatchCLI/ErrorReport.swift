/// Turns any error into the one line the user sees and the exit status it deserves.
///
/// Errors caused by what the user handed us (a plan, a layout, a reference, a flag) exit 2;
/// failures of an operation against something outside (a registry, the network) exit 1.
struct ErrorReport {
    let message: String
    let exitStatus: Int32

    init(_ error: any Error) {
        message = String(describing: error)
        exitStatus = (error as? any InvalidInputError) != nil ? ExitStatus.invalidInput : ExitStatus.operationFailed
    }
}

/// Marks error types that describe bad input rather than a failed operation.
protocol InvalidInputError: Error {}
