import Foundation
import Queue

/// The plan as a run stores it (`runs.plan_json`): the plan itself under `plan`, with the file it
/// came from and the directory its relative paths are resolved against, so `resume` can rebuild it
/// from the database alone, from any working directory.
///
/// `{"planFile": "/work/plans/nightly.json", "baseDirectory": "/work/plans", "plan": {…}}`
public enum StoredPlan {
    /// The envelope for `planData` (the plan file's bytes, valid JSON), keeping them as written.
    public static func envelope(planData: Data, planFile: String, baseDirectory: String) throws -> Data {
        let header = try JSONSerialization.data(
            withJSONObject: ["planFile": planFile, "baseDirectory": baseDirectory], options: [.sortedKeys])
        // `{"baseDirectory":…,"planFile":…}` becomes `{"baseDirectory":…,"planFile":…,"plan":<bytes>}`.
        var envelope = header.dropLast()
        envelope.append(Data(",\"plan\":".utf8))
        envelope.append(planData)
        envelope.append(Data("}".utf8))
        return Data(envelope)
    }

    /// The plan a run stored, validated again; its content hash is the run's.
    public static func plan(of run: RunRecord, homeDirectory: String = NSHomeDirectory()) throws -> Plan {
        try plan(stored: run.planJSON, hash: run.planHash, runName: "run \(run.id)", homeDirectory: homeDirectory)
    }

    /// The plan in `stored` (an envelope), validated again, with content hash `hash`.
    public static func plan(
        stored: Data, hash: String, runName: String, homeDirectory: String = NSHomeDirectory()
    ) throws -> Plan {
        let source = "the plan of \(runName)"
        guard let object = try? JSONSerialization.jsonObject(with: stored) as? [String: Any],
            let baseDirectory = object["baseDirectory"] as? String, let planObject = object["plan"],
            let planData = try? JSONSerialization.data(withJSONObject: planObject)
        else {
            throw PlanError(
                source: source,
                problems: [
                    PlanProblem(path: "$", message: "is not a plan stored by ocibatch run; it cannot be resumed")
                ])
        }
        let planFile = object["planFile"] as? String ?? source
        var plan = try PlanLoader.load(
            data: planData, source: "\(planFile) (as stored in \(runName))",
            validator: PlanValidator(baseDirectory: baseDirectory, homeDirectory: homeDirectory))
        plan.contentHash = hash
        return plan
    }
}
