import Foundation
import Testing

@testable import Engine

/// The malformed plans in `Tests/Corpus/plans`: each `NAME.json` must be refused by
/// `PlanLoader.load(path:)` with problems at (at least) the JSON paths listed in `NAME.expect`.
@Suite struct PlanCorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Corpus/plans")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test func corpusIsThereAndEveryPlanHasItsExpectations() throws {
        #expect(Self.files.count >= 25)
        for file in Self.files {
            let expect = Self.directory.appendingPathComponent(file.replacingOccurrences(of: ".json", with: ".expect"))
            #expect(FileManager.default.fileExists(atPath: expect.path), "\(file) has no .expect file")
        }
    }

    @Test(arguments: files)
    func malformedPlanIsRefusedWhereItIsWrong(file: String) throws {
        let path = Self.directory.appendingPathComponent(file).path
        let expectPath = path.replacingOccurrences(of: ".json", with: ".expect")
        let expected = try String(contentsOfFile: expectPath, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(!expected.isEmpty)
        let error = #expect(throws: PlanError.self) { try PlanLoader.load(path: path, homeDirectory: "/nonexistent") }
        guard let error else { return }
        for wanted in expected {
            #expect(error.paths.contains(wanted), "\(file): no problem at \(wanted) in \(error)")
        }
        #expect(error.problems.allSatisfy { !$0.message.isEmpty })
        // The report names the file, so a user with many plans knows which one.
        #expect(error.description.contains(file))
    }

    /// A plan above the size limit is refused from its size, before it is read.
    @Test func oversizedPlanFileIsRefusedUnread() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "plan-corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("huge.json").path
        var text = #"{"version": 1, "name": "huge", "jobs": [], "padding": ""#
        text += String(repeating: "x", count: PlanLoader.maximumPlanBytes) + "\"}"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: PlanError.self) { try PlanLoader.load(path: path) }
        #expect(error?.paths == ["$"])
        #expect(error?.description.contains("limit") == true)
    }

    @Test(arguments: ["/nonexistent/plan.json", "/"])
    func unreadablePlanPathIsOneProblemAtTheRoot(path: String) {
        let error = #expect(throws: PlanError.self) { try PlanLoader.load(path: path) }
        #expect(error?.paths == ["$"])
    }
}
