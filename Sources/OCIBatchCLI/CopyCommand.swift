import Engine
import Foundation
import ImageTransports
import OCI

/// `ocibatch copy SRC DST`: copies one image or index, optionally setting labels and annotations.
enum CopyCommand {
    static let subcommand = Subcommand(
        name: "copy",
        summary: "Copy an image or index, optionally adding labels and annotations.",
        usage: "copy SRC DST [--label K=V]... [--annotation K=V]... [--format table|json] [registry options]",
        details: """
            SRC and DST use skopeo's transport syntax: oci:DIR[:TAG] (an OCI image layout),
            docker-archive:FILE (a docker-save tarball; source only) and docker://REF or a bare REF
            (a registry). Labels go into every image config, annotations into every image manifest and
            into the index itself. Layers are copied byte for byte; a copy without changes keeps every
            digest. Prints the written digest, media type and size (config plus layers for an image, the
            sum over its images for an index).
            """,
        arguments: ArgumentSpec(
            options: [
                .init(name: "label", kind: .repeated, valueName: "K=V", help: "set a label in each image config"),
                .init(
                    name: "annotation", kind: .repeated, valueName: "K=V",
                    help: "set an annotation on each manifest and the index"),
                OutputFormat.option,
            ] + RegistryOptions.options,
            positionals: ["SRC", "DST"]),
        run: { arguments, context in
            let format = try OutputFormat(arguments)
            let mutation = ImageMutation(
                labels: try KeyValueList.parse(arguments.all("label"), kind: "label"),
                annotations: try KeyValueList.parse(arguments.all("annotation"), kind: "annotation"))
            let from = try context.location(arguments.positionals[0])
            let to = try context.location(arguments.positionals[1])
            let endpoints = try RegistryOptions.endpoints(arguments, context: context)
            let source = try await endpoints.openSource(from)
            let (destination, tag) = try endpoints.openDestination(to, defaultTag: from.tag)
            let report = try await ImageCopier().copy(from: source, to: destination, tag: tag, mutation: mutation)
            switch format {
            case .json:
                let object: JSONObject = [
                    "digest": .string(report.digest.description),
                    "mediaType": .string(report.mediaType.rawValue),
                    "size": .integer(report.size),
                    "skipped": .bool(report.skipped),
                    "bytesMoved": .integer(report.bytesMoved),
                    "blobsUploaded": .integer(report.blobsUploaded),
                    "blobsSkipped": .integer(report.blobsSkipped),
                    "blobsMounted": .integer(report.blobsMounted),
                    "manifestsWritten": .integer(report.manifestsWritten),
                ]
                context.print(object.line)
            case .table:
                let table = TableRenderer(columns: ["digest", "media type", "size", "outcome"])
                let outcome = report.skipped ? "skipped (already there)" : "copied"
                context.print(
                    table.render([
                        [report.digest.description, report.mediaType.rawValue, "\(report.size)", outcome]
                    ]))
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
