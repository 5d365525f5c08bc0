import Engine
import Foundation
import ImageTransports
import OCI

/// `ocibatch copy SRC DST`: copies one image or index, optionally setting labels and annotations.
enum CopyCommand {
    static let subcommand = Subcommand(
        name: "copy",
        summary: "Copy an image or index, optionally adding labels and annotations.",
        usage:
            "copy SRC DST [--label K=V]... [--annotation K=V]... [--format table|json] [--db PATH] [registry options]",
        details: """
            SRC and DST use skopeo's transport syntax: oci:DIR[:TAG] (an OCI image layout),
            docker-archive:FILE (a docker-save tarball; source only) and docker://REF or a bare REF
            (a registry). Labels go into every image config, annotations into every image manifest and
            into the index itself. Layers are copied byte for byte; a copy without changes keeps every
            digest. Prints the written digest, media type and size (config plus layers for an image, the
            sum over its images for an index). The copy runs as a one-job plan through the queue, so it
            is retried like a plan's steps and audited ('ocibatch audit --job copy').
            """,
        arguments: ArgumentSpec(
            options: [
                .init(name: "label", kind: .repeated, valueName: "K=V", help: "set a label in each image config"),
                .init(
                    name: "annotation", kind: .repeated, valueName: "K=V",
                    help: "set an annotation on each manifest and the index"),
                OutputFormat.option, DatabaseOption.option,
            ] + RegistryOptions.options,
            positionals: ["SRC", "DST"]),
        run: { arguments, context in
            let format = try OutputFormat(arguments)
            let mutation = ImageMutation(
                labels: try KeyValueList.parse(arguments.all("label"), kind: "label"),
                annotations: try KeyValueList.parse(arguments.all("annotation"), kind: "annotation"))
            let from = try context.location(arguments.positionals[0])
            let to = try context.location(arguments.positionals[1])
            if case .archive = to { throw EndpointError("\(to) cannot be written: docker-archive is a source only") }
            var job: [String: Any] = ["id": "copy", "copy": ["from": from.description, "to": to.description]]
            if !mutation.isEmpty { job["mutate"] = ["labels": mutation.labels, "annotations": mutation.annotations] }
            let outcome = try await OneJobPlan(name: "copy", job: job, arguments: arguments, context: context).run()
            if outcome.summary.outcome == .interrupted {
                RunSession.printSummary(outcome.summary, arguments: arguments, context: context)
                return ExitStatus.interrupted
            }
            guard let push = outcome.steps.first(where: { $0.kind == .push }) else {
                throw StepFailed(message: "the copy planned no push (is the source a whole repository?)")
            }
            if let failure = outcome.failureIfAny(of: push) { throw failure }
            guard let data = push.result else { throw StepFailed(message: "the push step recorded no result") }
            let report = try StepJSON.decode(PushResult.self, from: data, what: "the push result")
            switch format {
            case .json:
                let object: JSONObject = [
                    "digest": .string(report.digest),
                    "mediaType": .string(report.mediaType),
                    "size": .integer(report.size),
                    "skipped": .bool(report.skipped),
                    "bytesMoved": .integer(report.bytesMoved),
                    "blobsUploaded": .integer(report.blobsUploaded),
                    "blobsSkipped": .integer(report.blobsSkipped),
                    "blobsMounted": .integer(report.blobsMounted),
                    "manifestsWritten": .integer(report.manifestsWritten),
                    "run": .integer(outcome.runID.rawValue),
                ]
                context.print(object.line)
            case .table:
                let table = TableRenderer(columns: ["digest", "media type", "size", "outcome"])
                let outcome = report.skipped ? "skipped (already there)" : "copied"
                context.print(table.render([[report.digest, report.mediaType, "\(report.size)", outcome]]))
            }
            return ExitStatus.success
        }
    )
}

extension CommandContext {
    /// Parses an image location the way skopeo writes them, relative paths against the working directory.
    func location(_ text: String) throws -> ImageLocation {
        try ImageLocation(parsing: text, relativeTo: workingDirectory, homeDirectory: homeDirectory)
    }
}
