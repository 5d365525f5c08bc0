import Foundation

/// The order in which a cleanup ranks tags from newest to oldest; `keep.last` and the decision table use it.
///
/// 1. A known `created` date before an unknown one; among known dates, the later first.
/// 2. Equal dates (or both unknown): the tag that sorts later in natural order first, so `v1.10`
///    ranks newer than `v1.9` and `build-101` newer than `build-99`. Natural order compares runs of
///    digits by their numeric value and everything else byte by byte.
/// 3. Tags equal in natural order (`v01` and `v1`): the later in plain byte order first.
///
/// The order is total, so the same inventory always gives the same ranking.
public enum CleanupOrder {
    /// Whether `lhs` ranks newer than `rhs`.
    public static func isNewer(_ lhs: CleanupTaggedImage, than rhs: CleanupTaggedImage) -> Bool {
        switch (lhs.created, rhs.created) {
        case (let left?, let right?) where left != right: return left > right
        case (.some, nil): return true
        case (nil, .some): return false
        default: break
        }
        switch naturalCompare(lhs.tag, rhs.tag) {
        case .orderedDescending: return true
        case .orderedAscending: return false
        case .orderedSame: return rhs.tag.utf8.lexicographicallyPrecedes(lhs.tag.utf8)
        }
    }

    /// `images` from newest to oldest.
    public static func newestFirst(_ images: [CleanupTaggedImage]) -> [CleanupTaggedImage] {
        images.sorted { isNewer($0, than: $1) }
    }

    /// Compares runs of ASCII digits by numeric value (ignoring leading zeros) and other bytes as bytes.
    static func naturalCompare(_ lhs: String, _ rhs: String) -> ComparisonResult {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        var leftIndex = 0
        var rightIndex = 0
        while leftIndex < left.count, rightIndex < right.count {
            if isDigit(left[leftIndex]), isDigit(right[rightIndex]) {
                let leftRun = digitRun(left, from: &leftIndex)
                let rightRun = digitRun(right, from: &rightIndex)
                if leftRun.count != rightRun.count {
                    return leftRun.count < rightRun.count ? .orderedAscending : .orderedDescending
                }
                if leftRun != rightRun {
                    return leftRun.lexicographicallyPrecedes(rightRun) ? .orderedAscending : .orderedDescending
                }
                continue
            }
            if left[leftIndex] != right[rightIndex] {
                return left[leftIndex] < right[rightIndex] ? .orderedAscending : .orderedDescending
            }
            leftIndex += 1
            rightIndex += 1
        }
        let leftDone = leftIndex >= left.count
        let rightDone = rightIndex >= right.count
        if leftDone && rightDone { return .orderedSame }
        return leftDone ? .orderedAscending : .orderedDescending
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// The digits starting at `index` without leading zeros; advances `index` past the run.
    private static func digitRun(_ bytes: [UInt8], from index: inout Int) -> ArraySlice<UInt8> {
        let start = index
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        var significant = start
        while significant < index - 1, bytes[significant] == 0x30 { significant += 1 }
        return bytes[significant..<index]
    }
}
