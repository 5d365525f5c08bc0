import Engine
import Foundation
import OCI
import Registry

/// `ocibatch delete REF...`: deletes images from registries, the way each registry allows.
enum DeleteCommand {
    static let subcommand = Subcommand(
        name: "delete",
        summary: "Delete images (by tag or digest) from registries.",
        usage: "delete REF... [--dry-run] [--format table|json] [registry options]",
        details: """
            REF is docker://REF or a bare registry reference with a tag or a digest. On standard registries the
            tag is resolved to its digest and the manifest is deleted by digest (the registry must allow
            deletes). Docker Hub cannot delete a tag among several: that tag is pointed at an empty image
            instead, and a repository whose only tag is the one named is deleted whole. IBM Cloud Container
            Registry deletes through its own API. --dry-run shows what would be done and changes nothing.
            """,
        arguments: ArgumentSpec(
            options: [
                .init(name: "dry-run", kind: .flag, valueName: "", help: "show the actions, change nothing"),
                OutputFormat.option,
            ] + RegistryOptions.options,
            positionals: ["REF"], variadicPositionals: true, minimumPositionals: 1),
        run: { arguments, context in
            let format = try OutputFormat(arguments)
            let references = try arguments.positionals.map { text -> Reference in
                let location = try context.location(text)
                guard case .registry(let reference) = location else {
                    throw UsageError("\(text): delete works on registry images (docker://REGISTRY/REPO:TAG)")
                }
                return reference
            }
            let deleter = RegistryDeleter(session: try RegistryOptions.session(arguments, context: context))
            let dryRun = arguments.has("dry-run")
            var failures = 0
            var rows: [[String]] = []
            for reference in references {
                do {
                    let actions = dryRun ? try await deleter.plan(reference) : try await deleter.delete(reference)
                    let outcome = dryRun ? "would delete" : "deleted"
                    for action in actions {
                        rows.append([reference.description, outcome, action.description])
                        if format == .json {
                            let object: JSONObject = [
                                "reference": .string(reference.description), "outcome": .string(outcome),
                                "action": .string(action.description),
                            ]
                            context.print(object.line)
                        }
                    }
                } catch {
                    failures += 1
                    let report = ErrorReport(error)
                    rows.append([reference.description, "failed", report.message])
                    if format == .json {
                        let object: JSONObject = [
                            "reference": .string(reference.description), "outcome": .string("failed"),
                            "error": .string(report.message),
                        ]
                        context.print(object.line)
                    }
                }
            }
            if format == .table {
                context.print(TableRenderer(columns: ["reference", "outcome", "action"]).render(rows))
            }
            return failures == 0 ? ExitStatus.success : ExitStatus.operationFailed
        }
    )
}
