import Foundation
import ImageTransports
import OCI

/// Keeps the listed platforms of a multi-platform image: the index is rewritten to name only the
/// matching images (and the attestations that describe them); children are untouched. A platform
/// `os/arch` matches every variant, `os/arch/variant` only that one. A single-platform image is
/// kept as it is.
struct PlatformFilter: Sendable {
    let platforms: [Platform]

    init(_ texts: [String]) throws {
        platforms = try texts.map { text in
            do {
                return try Platform(parsing: text)
            } catch {
                throw StepRefusal("\(text) is not a platform (expected os/architecture[/variant])")
            }
        }
    }

    func accepts(_ platform: Platform?) -> Bool {
        guard let platform else { return false }
        return platforms.contains { wanted in
            wanted.os == platform.os && wanted.architecture == platform.architecture
                && (wanted.variant == nil || wanted.variant == platform.variant)
        }
    }

    /// `root` with only the wanted platforms; `root` itself when it is not an index or already
    /// holds nothing else. Throws when no image of the index matches.
    func apply(to root: ManifestData, source: String) throws -> ManifestData {
        guard case .index(let index) = try root.document() else { return root }
        let kept = Set(index.manifests.filter { !$0.isAttestation && accepts($0.platform) }.map(\.digest))
        guard !kept.isEmpty else {
            let found = index.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")
            throw StepRefusal(
                "\(source) has no image for \(platforms.map(\.description).joined(separator: ", ")) (it has \(found))")
        }
        let children = index.manifests.filter { child in
            if child.isAttestation {
                let subject = child.annotations?["vnd.docker.reference.digest"]
                return subject.map { text in kept.contains { $0.description == text } } ?? false
            }
            return kept.contains(child.digest)
        }
        guard children.count < index.manifests.count else { return root }
        var json = index.json
        json["manifests"] = .array(children.map(\.jsonValue))
        return ManifestData(bytes: json.encoded(), mediaType: root.mediaType)
    }
}
