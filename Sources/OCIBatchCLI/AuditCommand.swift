import Foundation
import OCI
import Queue

/// `ocibatch audit`: what happened, to which image, when, with which outcome.
enum AuditCommand {
    static let subcommand = Subcommand(
        name: "audit",
        summary: "Query the audit history: one record per finished step.",
        usage: """
            audit [--run ID] [--job ID] [--op load|mutate|push|delete|discover] [--ref GLOB] [--digest D]
                      [--since T] [--until T] [--outcome O] [--limit N] [--format table|json|csv] [--db PATH]
            """,
        details: """
            Every filter narrows the list; records come oldest first. --ref matches the source or the target
            with a shell-style pattern ('registry.example.com/team/*', matched as docker://…); --digest takes a digest or a prefix
            of one. T is a time (2026-12-01, 2026-12-01T02:00:00Z) or a duration back from now (24h, 7d).
            --format json prints one JSON object per line with the fields run, step, job, op, source, target,
            digest, mediaType, size, outcome, attempts, startedAt, endedAt, error, details (absent fields
            are null; details is the step's JSON: a push's bytesMoved and requests, a delete's rule, a
            cleanup's decision); csv prints the same columns but details, with a header line.
            """,
        arguments: ArgumentSpec(
            options: [
                .init(name: "run", kind: .value, valueName: "ID", help: "only this run"),
                .init(name: "job", kind: .value, valueName: "ID", help: "only this job of the plan"),
                .init(name: "op", kind: .value, valueName: "OP", help: "load, mutate, push, delete or discover"),
                .init(name: "ref", kind: .value, valueName: "GLOB", help: "source or target matches this pattern"),
                .init(name: "digest", kind: .value, valueName: "D", help: "digest or digest prefix"),
                .init(name: "since", kind: .value, valueName: "T", help: "ended at or after T"),
                .init(name: "until", kind: .value, valueName: "T", help: "ended before T"),
                .init(
                    name: "outcome", kind: .value, valueName: "O", help: "succeeded, skipped, failed or dead"),
                .init(name: "limit", kind: .value, valueName: "N", help: "at most N records"),
                .init(name: "format", kind: .value, valueName: "FORMAT", help: "table (default), json or csv"),
                DatabaseOption.option,
            ]),
        run: { arguments, context in
            let format = try ListFormat(arguments)
            let filter = try filter(arguments)
            let store = try DatabaseOption.openExisting(arguments, context: context)
            let records = try await store.audit(filter)
            switch format {
            case .json:
                for record in records { context.print(json(record).line) }
            case .csv:
                context.print(CSV.line(columns))
                for record in records { context.print(CSV.line(fields(record))) }
            case .table:
                let rows = records.map { record in
                    [
                        record.runID.map { "\($0)" } ?? "", record.jobID, record.op, record.outcome.rawValue,
                        record.target ?? record.source ?? "", shortDigest(record.digest),
                        record.size.map { "\($0)" } ?? "",
                        "\(record.attempts)", TimeArgument.format(record.endedAt), record.error ?? "",
                    ]
                }
                context.print(
                    TableRenderer(
                        columns: ["run", "job", "op", "outcome", "image", "digest", "size", "tries", "ended", "error"]
                    ).render(rows))
            }
            return ExitStatus.success
        }
    )

    static let columns = [
        "run", "step", "job", "op", "source", "target", "digest", "mediaType", "size", "outcome", "attempts",
        "startedAt", "endedAt", "error",
    ]

    static func filter(_ arguments: ParsedArguments) throws -> AuditFilter {
        var filter = AuditFilter()
        if let run = arguments.value("run") {
            guard let id = Int64(run), id > 0 else {
                throw UsageError("--run \(run): not a run id (see 'ocibatch runs')")
            }
            filter.run = RunID(rawValue: id)
        }
        filter.job = arguments.value("job")
        if let op = arguments.value("op") {
            guard let kind = StepKind(rawValue: op) else {
                throw UsageError("--op \(op): use load, mutate, push, delete or discover")
            }
            filter.op = kind
        }
        filter.refGlob = arguments.value("ref").map(registryGlob)
        filter.digest = arguments.value("digest")
        filter.since = try arguments.value("since").map { try TimeArgument.parse($0, flag: "since") }
        filter.until = try arguments.value("until").map { try TimeArgument.parse($0, flag: "until") }
        if let outcome = arguments.value("outcome") {
            guard let value = StepOutcome(rawValue: outcome) else {
                throw UsageError("--outcome \(outcome): use succeeded, skipped, failed or dead")
            }
            filter.outcome = value
        }
        if let limit = arguments.value("limit") {
            guard let value = Int(limit), value > 0 else { throw UsageError("--limit \(limit): not a positive number") }
            filter.limit = value
        }
        return filter
    }

    /// Records name images in transport syntax (`docker://HOST/REPO:TAG`); a pattern written as a bare
    /// registry reference, as people write them, gets the `docker://` prefix.
    static func registryGlob(_ pattern: String) -> String {
        let transports = ["docker://", "oci:", "oci-archive:", "docker-archive:", "*", "?", "["]
        return transports.contains { pattern.hasPrefix($0) } ? pattern : "docker://" + pattern
    }

    static func fields(_ record: AuditRecord) -> [String] {
        [
            record.runID.map { "\($0)" } ?? "", record.stepID.map { "\($0)" } ?? "", record.jobID, record.op,
            record.source ?? "", record.target ?? "", record.digest ?? "", record.mediaType ?? "",
            record.size.map { "\($0)" } ?? "", record.outcome.rawValue, "\(record.attempts)",
            record.startedAt.map(TimeArgument.format) ?? "", TimeArgument.format(record.endedAt), record.error ?? "",
        ]
    }

    static func json(_ record: AuditRecord) -> JSONObject {
        func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return [
            "run": record.runID.map { .integer($0.rawValue) } ?? .null,
            "step": record.stepID.map { .integer($0.rawValue) } ?? .null,
            "job": .string(record.jobID),
            "op": .string(record.op),
            "source": string(record.source),
            "target": string(record.target),
            "digest": string(record.digest),
            "mediaType": string(record.mediaType),
            "size": record.size.map { .integer($0) } ?? .null,
            "outcome": .string(record.outcome.rawValue),
            "attempts": .integer(record.attempts),
            "startedAt": string(record.startedAt.map(TimeArgument.format)),
            "endedAt": .string(TimeArgument.format(record.endedAt)),
            "error": string(record.error),
            "details": record.details.flatMap { try? JSONValue.parse($0, subject: "audit details") } ?? .null,
        ]
    }

    static func shortDigest(_ digest: String?) -> String {
        guard let digest else { return "" }
        return String(digest.prefix(19))
    }
}

/// `--format` for listings: a table, JSON lines, or CSV.
enum ListFormat: String, CaseIterable {
    case table, json, csv

    init(_ arguments: ParsedArguments) throws {
        guard let text = arguments.value("format") else {
            self = .table
            return
        }
        guard let format = ListFormat(rawValue: text) else {
            throw UsageError("unknown format '\(text)'; choose one of: table, json, csv")
        }
        self = format
    }
}

/// RFC 4180 CSV: fields with commas, quotes or line breaks are quoted, quotes doubled.
enum CSV {
    static func line(_ fields: [String]) -> String {
        fields.map { field in
            guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",")
    }
}
