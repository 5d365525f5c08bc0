import Foundation

// The JSON each step kind keeps in the queue: its input (planned, part of its idempotency key) and
// its result (what later steps and the audit read). Locations are written in transport syntax
// with absolute paths, so a run resumes the same from any directory.

/// A `load` step: resolve one image and pin its digest.
public struct LoadInput: Codable, Sendable, Equatable {
    /// The image, in transport syntax.
    public var source: String
    /// For delete jobs: a tag that does not exist is already deleted, not an error.
    public var missingIsGone: Bool?
    /// For delete jobs: the other tags of the repository the job deletes too.
    public var alongWith: [String]?
}

/// What a `load` step found.
public struct LoadResult: Codable, Sendable, Equatable {
    /// The root manifest's digest, media type and size (`ImageSize`); nil when the image is gone.
    public var digest: String?
    public var mediaType: String?
    public var size: Int64?
    /// True when the image did not exist (delete jobs only).
    public var gone: Bool?
    /// What a delete of this image would do (delete jobs only), for dry runs and the audit.
    public var deleteActions: [String]?
}

/// A `mutate` step: keep some platforms of the loaded image and set labels and annotations.
public struct MutateInput: Codable, Sendable, Equatable {
    public var source: String
    public var labels: [String: String]
    public var annotations: [String: String]
    /// `os/arch[/variant]` to keep from a multi-platform image; nil keeps all.
    public var platforms: [String]?
}

/// A document a mutation made (a manifest or a config), kept in the queue because it is small.
public struct StoredDocument: Codable, Sendable, Equatable {
    public var digest: String
    public var mediaType: String
    /// The bytes; JSON carries them as base64.
    public var bytes: Data
}

/// What a `mutate` step made. When nothing changed, only the digest (the loaded one) is set.
public struct MutateResult: Codable, Sendable, Equatable {
    public var changed: Bool
    public var digest: String
    public var mediaType: String
    /// The size of the image made (`ImageSize`), for a push that finds it already there.
    public var size: Int64?
    public var root: StoredDocument?
    /// New child manifests, children before parents.
    public var manifests: [StoredDocument]
    /// New configs.
    public var blobs: [StoredDocument]
}

/// A `push` step: copy the pinned (and maybe mutated) image to a target.
public struct PushInput: Codable, Sendable, Equatable {
    public var source: String
    /// One image, with its tag (or a layout with its image name).
    public var target: String
}

/// What a `push` step did; the copy command prints it.
public struct PushResult: Codable, Sendable, Equatable {
    public var digest: String
    public var mediaType: String
    public var size: Int64
    public var skipped: Bool
    public var bytesMoved: Int64
    public var blobsUploaded: Int
    public var blobsSkipped: Int
    public var blobsMounted: Int
    public var manifestsWritten: Int
    /// Requests the run's HTTP session started while the step ran (exact with one worker).
    public var requests: Int?
}

/// A `discover` step: list a repository's (or layout's) tags and plan each one that passes the filter.
/// For a cleanup job it reads the repository's inventory and plans its deletions; with
/// `catalogPrefix`, it lists the registry's catalog and plans a discover step per repository.
public struct DiscoverInput: Codable, Sendable, Equatable {
    /// A registry repository or a layout without a tag; the registry host when `catalogPrefix` is set.
    public var source: String
    /// Repositories of the catalog whose names start with this (cleanup jobs).
    public var catalogPrefix: String?
    /// Copy jobs with `referrers`: `source` is one image and this is where it was copied; the step
    /// finds the artifacts that point at the image and queues their copies next to it.
    public var referrersTarget: String?

    public init(source: String, catalogPrefix: String? = nil, referrersTarget: String? = nil) {
        self.source = source
        self.catalogPrefix = catalogPrefix
        self.referrersTarget = referrersTarget
    }
}

/// The tags a `discover` step planned.
public struct DiscoverResult: Codable, Sendable, Equatable {
    public var tags: [String]
    public var stepsPlanned: Int
    /// The repositories a catalog discovery found under its prefix.
    public var repositories: [String]?
    /// A cleanup's decision for the repository, made when the step ran.
    public var cleanup: CleanupRecord?
}

/// A cleanup decision as the queue and the audit keep it: every tag with its digest, created date,
/// rule and action.
public struct CleanupRecord: Codable, Sendable, Equatable {
    public var repository: String
    /// When the decision was made (ages are measured from it), RFC 3339.
    public var decidedAt: String
    public var entries: [Entry]

    /// One tag's line.
    public struct Entry: Codable, Sendable, Equatable {
        public var tag: String
        public var digest: String
        /// RFC 3339, or nil when unknown (`unknownCreatedReason` says why).
        public var created: String?
        public var unknownCreatedReason: String?
        public var rule: String
        /// `keep`, `delete` or `not removable`.
        public var action: String
    }

    public init(_ decision: CleanupDecision, decidedAt: Date) {
        repository = decision.repository
        self.decidedAt = CleanupDecisionTable.formatDate(decidedAt)
        entries = decision.entries.map { entry in
            Entry(
                tag: entry.tag, digest: entry.digest.description,
                created: entry.created.map(CleanupDecisionTable.formatDate),
                unknownCreatedReason: entry.unknownCreatedReason, rule: entry.rule.description,
                action: entry.action.rawValue)
        }
    }
}

/// A `delete` step: compare-and-delete one image.
public struct DeleteInput: Codable, Sendable, Equatable {
    /// The registry reference as the plan names it (tag or digest).
    public var image: String
    /// The digest the tag had when a cleanup decided (cleanup jobs have no `load` step).
    public var expectedDigest: String?
    /// The cleanup rule that decided.
    public var rule: String?
    /// Other tags of the same digest that the same cleanup deletes.
    public var alongWith: [String]?
    /// Why a tag that should go stays (the cleanup's "not removable"); the step only reports it.
    public var notRemovable: String?

    public init(
        image: String, expectedDigest: String? = nil, rule: String? = nil, alongWith: [String]? = nil,
        notRemovable: String? = nil
    ) {
        self.image = image
        self.expectedDigest = expectedDigest
        self.rule = rule
        self.alongWith = alongWith
        self.notRemovable = notRemovable
    }
}

/// What a `delete` step did.
public struct DeleteResult: Codable, Sendable, Equatable {
    public var digest: String?
    public var actions: [String]
    /// True when the image was gone already.
    public var gone: Bool
    /// The cleanup rule that decided, for cleanup jobs.
    public var rule: String?
}

/// JSON coding for step payloads: sorted keys, so equal inputs give equal bytes (and keys).
public enum StepJSON {
    public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    public static func decode<Value: Decodable>(_ type: Value.Type, from data: Data, what: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw StepRefusal("\(what) is not what this ocibatch expects: \(error)")
        }
    }
}
