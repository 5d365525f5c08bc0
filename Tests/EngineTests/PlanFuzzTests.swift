import Foundation
import Testing

@testable import Engine

/// Seeded, bounded fuzzing of the plan decoder: mangled example plans must either load or be
/// refused with located problems, never crash or hang.
@Suite struct PlanFuzzTests {
    /// SplitMix64: small, seeded, the same sequence on every machine.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var value = state
            value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
            value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
            return value ^ (value >> 31)
        }
    }

    /// Bytes that make interesting JSON and plan mistakes when dropped in.
    static let interestingBytes = Array(#"{}[]":,0-9e.\ aZ@/(+)*"#.utf8) + [0x00, 0x0A, 0xFF, 0xC3]

    static func mutate(_ bytes: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var result = bytes
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            guard !result.isEmpty else { break }
            let position = Int.random(in: 0..<result.count, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: result.remove(at: position)
            case 1: result.insert(interestingBytes.randomElement(using: &generator) ?? 0, at: position)
            case 2: result[position] = interestingBytes.randomElement(using: &generator) ?? 0
            default:
                let end = min(result.count, position + Int.random(in: 1...32, using: &generator))
                result.insert(contentsOf: result[position..<end], at: position)
            }
        }
        return result
    }

    @Test(arguments: PlanExamplesTests.examplePlans)
    func mangledPlansLoadOrFailWithLocatedProblems(file: String) throws {
        let original = try Data(contentsOf: PlanExamplesTests.plansDirectory.appendingPathComponent(file))
        let validator = PlanValidator(
            baseDirectory: PlanExamplesTests.plansDirectory.path, homeDirectory: "/nonexistent", checksFiles: true)
        var generator = SeededGenerator(state: UInt64(file.utf8.count) &* 7919)
        var refused = 0
        for round in 0..<300 {
            let mangled = Data(Self.mutate(Array(original), using: &generator))
            do {
                _ = try PlanLoader.load(data: mangled, source: "\(file)#\(round)", validator: validator)
            } catch {
                refused += 1
                #expect(!error.problems.isEmpty)
                #expect(error.problems.allSatisfy { $0.path.hasPrefix("$") && !$0.message.isEmpty })
            }
        }
        // Most single-byte changes break JSON or the plan; if none were refused, the mutator is broken.
        #expect(refused > 100)
    }
}
