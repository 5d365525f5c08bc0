import Foundation
import TestSupport
import Testing

@testable import Engine

/// The plan decoder under the structural mutations of `FuzzMutator` (deep nesting, huge numbers,
/// invalid UTF-8, splices between plans), seeded from the example plans and the malformed-plan
/// corpus: every input loads or is refused with located problems. `PlanFuzzTests` covers
/// single-byte edits of each example.
@Suite struct PlanCorpusFuzzTests {
    static func seeds() throws -> [[UInt8]] {
        let examples = try PlanExamplesTests.examplePlans.map {
            Array(try Data(contentsOf: PlanExamplesTests.plansDirectory.appendingPathComponent($0)))
        }
        let corpus = try PlanCorpusTests.files.map {
            Array(try Data(contentsOf: PlanCorpusTests.directory.appendingPathComponent($0)))
        }
        return examples + corpus
    }

    @Test(arguments: [UInt64(31), 32])
    func mutatedPlansLoadOrAreRefusedWithLocatedProblems(seed: UInt64) throws {
        let corpus = try Self.seeds()
        let validator = PlanValidator(
            baseDirectory: PlanExamplesTests.plansDirectory.path, homeDirectory: "/nonexistent", checksFiles: true)
        var generator = FuzzRandom(seed: seed)
        var loaded = 0
        var refused = 0
        FuzzMutator.run { round in
            let original = corpus.randomElement(using: &generator) ?? []
            let bytes = Data(FuzzMutator.mutate(original, corpus: corpus, using: &generator))
            do {
                _ = try PlanLoader.load(data: bytes, source: "fuzz#\(round)", validator: validator)
                loaded += 1
            } catch let error as PlanError {
                refused += 1
                #expect(!error.problems.isEmpty)
                #expect(error.problems.allSatisfy { $0.path.hasPrefix("$") && !$0.message.isEmpty })
            } catch {
                Issue.record("unexpected \(type(of: error)) \(error)")
            }
        }
        #expect(refused > 0)
        #expect(loaded + refused > 0)
    }
}
