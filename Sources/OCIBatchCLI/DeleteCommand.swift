import Engine
import Foundation
import OCI
import Registry

/// `ocibatch delete REF...`: deletes images from registries, the way each registry allows.
enum DeleteCommand {
    static let subcommand = Subcommand(
        name: "delete",
        summary: "Delete images (by tag or digest) from registries.",
        usage: "delete REF... [--dry-run] [--format table|json] [--db PATH] [registry options]",
        details: """
            REF is docker://REF or a bare registry reference with a tag or a digest. On standard registries the
            tag is resolved to its digest and the manifest is deleted by digest (the registry must allow
            deletes). Docker Hub cannot delete a tag among several: that tag is pointed at an empty image
            instead, and a repository whose only tag is the one named is deleted whole. IBM Cloud Container
            Registry deletes through its own API. Each tag's digest is recorded first and the delete refuses
            if the tag moved in between; a tag already gone is skipped. The deletes run as a one-job plan
            through the queue and are audited ('ocibatch audit --op delete'). --dry-run shows what would be
            done and changes nothing (not even the database).
            """,
        arguments: ArgumentSpec(
            options: [
                .init(name: "dry-run", kind: .flag, valueName: "", help: "show the actions, change nothing"),
                OutputFormat.option, DatabaseOption.option,
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
            let dryRun = arguments.has("dry-run")
            let job: [String: Any] = ["id": "delete", "delete": ["images": references.map(\.description)]]
            let outcome = try await OneJobPlan(name: "delete", job: job, arguments: arguments, context: context)
                .run(dryRun: dryRun)
            if outcome.summary.outcome == .interrupted {
                RunSession.printSummary(outcome.summary, arguments: arguments, context: context)
                return ExitStatus.interrupted
            }
            var failures = 0
            var rows: [[String]] = []
            func add(_ reference: Reference, _ outcome: String, _ action: String, error: Bool = false) {
                rows.append([reference.description, outcome, action])
                guard format == .json else { return }
                let object: JSONObject = [
                    "reference": .string(reference.description), "outcome": .string(outcome),
                    (error ? "error" : "action"): .string(action),
                ]
                context.print(object.line)
            }
            for reference in references {
                let target = ImageLocation.registry(reference).description
                guard let delete = outcome.steps.first(where: { $0.kind == .delete && $0.target == target }),
                    let load = outcome.steps.first(where: { delete.dependsOn.contains($0.id) })
                else { continue }
                if let failure = outcome.failureIfAny(of: delete) {
                    failures += 1
                    add(reference, "failed", ErrorReport(failure).message, error: true)
                    continue
                }
                let loaded = try load.result.map {
                    try StepJSON.decode(LoadResult.self, from: $0, what: "a load result")
                }
                if loaded?.gone == true {
                    add(reference, "skipped", "already gone")
                } else if dryRun {
                    for action in loaded?.deleteActions ?? [] { add(reference, "would delete", action) }
                } else {
                    let result = try delete.result.map {
                        try StepJSON.decode(DeleteResult.self, from: $0, what: "a delete result")
                    }
                    if result?.gone ?? true {
                        add(reference, "skipped", "already gone")
                    } else {
                        for action in result?.actions ?? [] { add(reference, "deleted", action) }
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
