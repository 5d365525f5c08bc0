import Engine
import Foundation
import ImageTransports
import OCI

/// `ocibatch inspect SRC`: shows what an image or index holds, without reading its layers.
enum InspectCommand {
    static let subcommand = Subcommand(
        name: "inspect",
        summary: "Show an image's digest, media type, size, platforms, labels and annotations.",
        usage: "inspect SRC [--format table|json] [--raw] [registry options]",
        details: """
            SRC uses the same syntax as for copy. --raw prints the root manifest's bytes exactly as stored.
            Only manifests and configs are read, never layers.
            """,
        arguments: ArgumentSpec(
            options: [
                OutputFormat.option,
                .init(name: "raw", kind: .flag, valueName: "", help: "print the raw manifest bytes"),
            ] + RegistryOptions.options,
            positionals: ["SRC"]),
        run: { arguments, context in
            let format = try OutputFormat(arguments)
            let endpoints = try RegistryOptions.endpoints(arguments, context: context)
            let source = try await endpoints.openSource(try context.location(arguments.positionals[0]))
            let summary = try await ImageInspector().inspect(source)
            if arguments.has("raw") {
                context.printRaw(summary.rawManifest)
                return ExitStatus.success
            }
            switch format {
            case .json: context.print(json(summary).line)
            case .table: context.print(table(summary))
            }
            return ExitStatus.success
        }
    )

    static func json(_ summary: ImageSummary) -> JSONObject {
        let images = summary.images.map { image -> JSONValue in
            .object([
                "platform": .string(image.platform),
                "digest": .string(image.digest.description),
                "mediaType": .string(image.mediaType.rawValue),
                "size": .integer(image.size),
                "labels": .sortedStrings(image.labels),
                "annotations": .sortedStrings(image.annotations),
            ])
        }
        let others = summary.otherChildren.map { child -> JSONValue in
            .object(["digest": .string(child.digest.description), "mediaType": .string(child.mediaType.rawValue)])
        }
        return [
            "digest": .string(summary.digest.description),
            "mediaType": .string(summary.mediaType.rawValue),
            "size": .integer(summary.size),
            "annotations": .sortedStrings(summary.annotations),
            "images": .array(images),
            "otherChildren": .array(others),
        ]
    }

    static func table(_ summary: ImageSummary) -> String {
        var lines = [
            "Digest:      \(summary.digest)",
            "Media type:  \(summary.mediaType.rawValue)",
            "Size:        \(summary.size)",
        ]
        for (key, value) in summary.annotations.sorted(by: { $0.key < $1.key }) {
            lines.append("Annotation:  \(key)=\(value)")
        }
        lines.append("")
        let rows = summary.images.map { image in
            let labels = image.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return [image.platform, image.digest.description, "\(image.size)", labels.joined(separator: ",")]
        }
        lines.append(TableRenderer(columns: ["platform", "digest", "size", "labels"]).render(rows))
        for child in summary.otherChildren {
            lines.append("Other child: \(child.digest) \(child.mediaType.rawValue)")
        }
        return lines.joined(separator: "\n")
    }
}
