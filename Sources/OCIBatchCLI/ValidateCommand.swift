import Engine
import Foundation

/// `ocibatch validate PLAN`: checks a plan against the schema and its semantics without running it.
enum ValidateCommand {
    static let subcommand = Subcommand(
        name: "validate",
        summary: "Check a plan file and report every problem with its JSON path.",
        usage: "validate PLAN",
        details: """
            Checks the plan against schema/plan.schema.json and its meaning: unknown keys, duplicate job
            ids, bad references and regular expressions, unknown transports, missing files. Nothing is
            queued and no registry is contacted. Exits 0 when the plan is valid, 2 otherwise.
            """,
        arguments: ArgumentSpec(positionals: ["PLAN"]),
        run: { arguments, context in
            let path = context.resolve(arguments.positionals[0])
            let plan = try PlanLoader.load(path: path, homeDirectory: context.homeDirectory)
            let jobs = plan.jobs.count == 1 ? "1 job" : "\(plan.jobs.count) jobs"
            context.print("\(arguments.positionals[0]): valid plan '\(plan.name)' with \(jobs)")
            for job in plan.jobs {
                context.print("  \(job.id)  \(job.kind.name)")
            }
            return ExitStatus.success
        }
    )
}

extension CommandContext {
    /// `path` made absolute against the working directory the command was started in.
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "~" || path.hasPrefix("~/") { return homeDirectory + path.dropFirst() }
        return URL(fileURLWithPath: workingDirectory).appendingPathComponent(path).standardizedFileURL.path
    }

    var homeDirectory: String { environment["HOME"] ?? NSHomeDirectory() }
}
