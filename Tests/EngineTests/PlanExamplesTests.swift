import Foundation
import OCI
import Testing

@testable import Engine

/// The plans in `plans/` and the schema in `schema/` are part of the product: they must load and agree.
@Suite struct PlanExamplesTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let plansDirectory = repositoryRoot.appendingPathComponent("plans")

    static let examplePlans = [
        "import-layout.json", "relabel.json", "migrate.json", "delete-tags.json", "cleanup.json",
    ]

    @Test func everyExamplePlanIsListed() throws {
        let found = try FileManager.default.contentsOfDirectory(atPath: Self.plansDirectory.path)
            .filter { $0.hasSuffix(".json") }
        #expect(found.sorted() == Self.examplePlans.sorted())
    }

    @Test(arguments: examplePlans)
    func examplePlanValidates(file: String) throws {
        let path = Self.plansDirectory.appendingPathComponent(file).path
        do {
            let plan = try PlanLoader.load(path: path)
            #expect(!plan.jobs.isEmpty)
            #expect(plan.contentHash == PlanLoader.contentHash(of: try Data(contentsOf: URL(fileURLWithPath: path))))
            #expect(plan.baseDirectory == Self.plansDirectory.standardizedFileURL.path)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func importPlanReadsTheBundledLayout() throws {
        let plan = try PlanLoader.load(path: Self.plansDirectory.appendingPathComponent("import-layout.json").path)
        guard case .copy(let copy) = plan.jobs.first?.kind,
            case .layout(let directory, let tag, nil) = copy.from
        else {
            Issue.record("the import plan does not copy from a layout")
            return
        }
        #expect(tag == "1.0")
        #expect(directory == Self.plansDirectory.appendingPathComponent("example-layout").standardizedFileURL.path)
        let index = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: directory + "/index.json")))
        let names = index["manifests"]?.arrayValue?.compactMap {
            $0["annotations"]?["org.opencontainers.image.ref.name"]?.stringValue
        }
        #expect(names == ["1.0"])
    }

    @Test func bundledLayoutBlobsMatchTheirDigests() throws {
        let blobs = Self.plansDirectory.appendingPathComponent("example-layout/blobs/sha256")
        let names = try FileManager.default.contentsOfDirectory(atPath: blobs.path)
        #expect(names.count >= 7)  // 2 × (layer, config, manifest) + the platform index
        for name in names {
            let data = try Data(contentsOf: blobs.appendingPathComponent(name))
            #expect(Digest.sha256(data).encoded == name)
        }
    }

    @Test func missingFilesAreNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plan-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("empty"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = """
            {"version": 1, "name": "files",
             "defaults": {"dockerConfig": "~/missing-config.json", "caFile": "ca.pem"},
             "registries": {"r.io": {"caFile": "empty"}},
             "jobs": [
               {"id": "a", "copy": {"from": "oci:absent:1", "to": "r.io/a:1"}},
               {"id": "b", "copy": {"from": "oci:empty:1", "to": "r.io/b:1"}},
               {"id": "c", "copy": {"from": "docker-archive:image.tar", "to": "r.io/c:1"}}
             ]}
            """
        let planFile = directory.appendingPathComponent("plan.json")
        try Data(text.utf8).write(to: planFile)
        #expect {
            try PlanLoader.load(path: planFile.path, homeDirectory: directory.path)
        } throws: { error in
            guard let error = error as? PlanError else { return false }
            let byPath = Dictionary(error.problems.map { ($0.path, $0.message) }, uniquingKeysWith: { $1 })
            let base = directory.standardizedFileURL.path
            return error.problems.count == 6
                && byPath["$.defaults.dockerConfig"] == "the docker config \(base)/missing-config.json does not exist"
                && byPath["$.defaults.caFile"] == "the CA file \(base)/ca.pem does not exist"
                && byPath[#"$.registries["r.io"].caFile"#]?.contains("is a directory") == true
                && byPath["$.jobs[0].copy.from"] == "the OCI layout directory \(base)/absent does not exist"
                && byPath["$.jobs[1].copy.from"]?.contains("has no index.json") == true
                && byPath["$.jobs[2].copy.from"]?.contains("\(base)/image.tar does not exist") == true
        }
    }

    @Test func unreadablePlanFilesAreReported() throws {
        #expect {
            try PlanLoader.load(path: "/nonexistent/plan.json")
        } throws: { error in
            (error as? PlanError)?.problems == [PlanProblem(path: "$", message: "the plan file does not exist")]
        }
        #expect {
            try PlanLoader.load(path: Self.plansDirectory.path)
        } throws: { error in
            (error as? PlanError)?.problems.first?.message == "the plan file is a directory"
        }
    }
}
