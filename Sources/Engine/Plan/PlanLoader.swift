import Foundation
import OCI

/// Reads a plan file, parses it strictly (duplicate keys refused, numbers kept exact) and validates it.
public enum PlanLoader {
    /// Plans are hand-written; anything larger is a mistake or an attack.
    public static let maximumPlanBytes = 4 << 20

    /// Loads and validates the plan at `path`; relative paths in it are resolved against its directory.
    /// Throws `PlanError` listing every problem, including a file that cannot be read or is not JSON.
    public static func load(path: String, homeDirectory: String = NSHomeDirectory()) throws(PlanError) -> Plan {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? NSNumber, size.intValue > maximumPlanBytes {
                throw PlanError(
                    source: path,
                    problems: [
                        PlanProblem(
                            path: "$",
                            message: "the file is \(size.intValue) bytes, more than the limit of \(maximumPlanBytes)")
                    ])
            }
            data = try Data(contentsOf: url)
        } catch let error as PlanError {
            throw error
        } catch {
            throw PlanError(source: path, problems: [PlanProblem(path: "$", message: readFailure(path, error))])
        }
        let validator = PlanValidator(
            baseDirectory: url.deletingLastPathComponent().standardizedFileURL.path, homeDirectory: homeDirectory)
        return try load(data: data, source: path, validator: validator)
    }

    /// Parses and validates plan bytes that did not come from a file (tests, one-job plans made by commands).
    public static func load(data: Data, source: String, validator: PlanValidator) throws(PlanError) -> Plan {
        let document: JSONValue
        do {
            document = try JSONValue.parse(
                data, limits: JSONLimits(maxBytes: maximumPlanBytes, maxDepth: 32), subject: "not JSON")
        } catch {
            throw PlanError(source: source, problems: [PlanProblem(path: "$", message: "\(error)")])
        }
        return try validator.validate(document, source: source, contentHash: contentHash(of: data))
    }

    /// `sha256:<hex>` of the plan's bytes; a run of the same file resumes the same run.
    public static func contentHash(of data: Data) -> String {
        Digest.sha256(data).description
    }

    private static func readFailure(_ path: String, _ error: any Error) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return "the plan file does not exist"
        }
        if isDirectory.boolValue { return "the plan file is a directory" }
        return "the plan file cannot be read (\((error as NSError).localizedDescription))"
    }
}
