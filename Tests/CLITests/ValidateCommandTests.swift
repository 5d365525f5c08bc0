import Foundation
import Testing

@Suite struct ValidateCommandTests {
    static let plansDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("plans").path

    @Test(arguments: ["import-layout.json", "relabel.json", "migrate.json", "delete-tags.json", "cleanup.json"])
    func examplePlansAreValid(name: String) async {
        let result = await runCommand(["validate", name], in: Self.plansDirectory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\(name): valid plan"))
    }

    @Test func invalidPlanListsEveryProblemAndExits2() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("validate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = """
            {"version": 1, "name": "broken", "jobs": [
              {"id": "a", "copy": {"from": "oci:./missing", "to": "Registry.example.com/UPPER:1"}},
              {"id": "a", "delete": {"images": ["127.0.0.1:5000/x:1"]}, "bogus": true}
            ]}
            """
        try Data(plan.utf8).write(to: directory.appendingPathComponent("plan.json"))
        let result = await runCommand(["validate", "plan.json"], in: directory.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("$.jobs[0].copy.from"))
        #expect(result.stderr.contains("$.jobs[0].copy.to"))
        #expect(result.stderr.contains("$.jobs[1].id"))
        #expect(result.stderr.contains("$.jobs[1].bogus"))
    }

    @Test func missingPlanIsNamed() async {
        let result = await runCommand(["validate", "/nonexistent/plan.json"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/plan.json"))
        #expect(result.stderr.contains("does not exist"))
    }
}
