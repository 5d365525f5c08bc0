import Engine
import Foundation
import Queue

/// How `run` reports while it works: a live line on a terminal, one line per finished step
/// elsewhere (logs, pipes), or nothing (commands that print their own result).
enum ProgressReporter: Sendable {
    /// Redraws one line with `\r`, at most ten times a second; failures are printed above it.
    case terminal(CommandContext)
    /// `<outcome> <job> <kind> <target> <digest> <size>` for every finished step.
    case lines(CommandContext)
    case quiet

    /// The live line when standard output is a terminal that can redraw (`TERM` set, not `dumb`).
    static func choose(for context: CommandContext) -> ProgressReporter {
        let term = context.environment["TERM"] ?? ""
        if isatty(STDOUT_FILENO) == 1, !term.isEmpty, term != "dumb" { return .terminal(context) }
        return .lines(context)
    }

    /// Reports `events` until the runner finishes them.
    func follow(
        _ events: AsyncStream<RunnerEvent>, run: RunID, store: any QueueStore, counters: RunCounters
    ) async {
        switch self {
        case .quiet:
            for await _ in events {}
        case .lines(let context):
            for await event in events {
                guard case .stepFinished(let info, let outcome, let report) = event else { continue }
                context.print(Self.line(info, outcome: outcome, report: report))
            }
        case .terminal(let context):
            let started = ContinuousClock.now
            let drawer = Task {
                while !Task.isCancelled {
                    await Self.draw(run: run, store: store, counters: counters, started: started, context: context)
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            for await event in events {
                guard case .stepFinished(let info, let outcome, let report) = event, !outcome.letsDependantsRun
                else { continue }
                context.printRaw(Data("\r\u{1B}[K".utf8))
                context.print(Self.line(info, outcome: outcome, report: report) + "  " + (report.error ?? ""))
            }
            drawer.cancel()
            await Self.draw(run: run, store: store, counters: counters, started: started, context: context)
            context.printRaw(Data("\n".utf8))
        }
    }

    /// One finished step: outcome, job, kind, target (else source), digest and size; `-` when unknown.
    static func line(_ info: StepInfo, outcome: StepOutcome, report: StepReport) -> String {
        let target = report.target ?? info.target ?? report.source ?? info.source ?? "-"
        let size = report.size.map(String.init) ?? "-"
        return [outcome.rawValue, info.jobID, info.kind.rawValue, target, report.digest ?? "-", size]
            .joined(separator: " ")
    }

    private static func draw(
        run: RunID, store: any QueueStore, counters: RunCounters, started: ContinuousClock.Instant,
        context: CommandContext
    ) async {
        guard let progress = try? await store.progress(run: run) else { return }
        let done = progress.total - progress.count(.pending) - progress.count(.running)
        let elapsed = ContinuousClock.now - started
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 0.001)
        let bytes = counters.bytesMoved
        let states = [StepState.running, .succeeded, .skipped, .failed, .dead]
            .map { "\(progress.count($0)) \($0.rawValue)" }.joined(separator: ", ")
        let clock = String(format: "%02d:%02d", Int(seconds) / 60, Int(seconds) % 60)
        let text =
            "steps \(done)/\(progress.total) (\(states)) · \(ByteCount.format(bytes)) moved, "
            + "\(ByteCount.format(Int64(Double(bytes) / seconds)))/s · \(clock)"
        context.printRaw(Data(("\r\u{1B}[K" + text).utf8))
    }
}
