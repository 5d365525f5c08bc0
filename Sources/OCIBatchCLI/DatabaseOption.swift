import Foundation
import Queue

/// `--db PATH`: where the queue and audit history live.
///
/// The history is the user's wherever they stand, so the default is one database per user:
/// `$XDG_STATE_HOME/ocibatch/ocibatch.db`, else `~/.local/state/ocibatch/ocibatch.db`.
/// `OCIBATCH_DB` or `--db` choose another (a team may keep one per plan directory).
enum DatabaseOption {
    static let option = ArgumentSpec.Option(
        name: "db", kind: .value, valueName: "PATH",
        help: "queue and audit database (default $OCIBATCH_DB, else $XDG_STATE_HOME/ocibatch/ocibatch.db)")

    static func path(_ arguments: ParsedArguments, context: CommandContext) -> String {
        if let path = arguments.value("db") { return context.resolve(path) }
        if let path = context.environment["OCIBATCH_DB"], !path.isEmpty { return context.resolve(path) }
        let state =
            context.environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? context.homeDirectory + "/.local/state"
        return state + "/ocibatch/ocibatch.db"
    }

    /// Opens (creating when missing) the database the flags name.
    static func open(_ arguments: ParsedArguments, context: CommandContext) throws -> SQLiteQueueStore {
        try SQLiteQueueStore(path: path(arguments, context: context))
    }

    /// Opens the database for reading history; a missing one is an error rather than created.
    static func openExisting(_ arguments: ParsedArguments, context: CommandContext) throws -> SQLiteQueueStore {
        let path = path(arguments, context: context)
        guard FileManager.default.fileExists(atPath: path) else {
            throw UsageError("no ocibatch database at \(path) yet (run a plan first, or name one with --db)")
        }
        return try SQLiteQueueStore(path: path)
    }
}
