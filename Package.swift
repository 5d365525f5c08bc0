// swift-tools-version:6.0
import PackageDescription

// Every library target has one job; the `ocibatch` executable only dispatches to OCIBatchCLI.
// C libraries come from Debian (see README) through `.systemLibrary` targets with typed shims.
let package = Package(
    name: "ocibatch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ocibatch", targets: ["ocibatch"])
    ],
    targets: [
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        .systemLibrary(name: "CArchive", path: "Sources/CArchive"),

        // Byte chunk sources and a bounded pipe: how layer bytes flow without sitting in memory.
        .target(name: "ByteStreams"),
        // Pure model: references, digests, media types, manifests, indexes, configs, mutation.
        .target(name: "OCI", dependencies: ["COpenSSL", "ByteStreams"]),
        // OCI layout directories and docker-save tarballs as image sources/destinations.
        .target(name: "ImageTransports", dependencies: ["OCI", "CArchive"]),
        // libcurl multi engine on its own thread with an async, streaming API.
        .target(name: "HTTPClient", dependencies: ["CCurl", "ByteStreams"]),
        // Distribution API, authentication, token cache, Docker Hub / IBM CR providers.
        .target(name: "Registry", dependencies: ["OCI", "HTTPClient", "ImageTransports"]),
        // SQLite store: runs, steps, leases, audit records, migrations.
        .target(name: "Queue", dependencies: ["CSQLite"]),
        // Plans, planner, runner, step executors, retry policy.
        .target(name: "Engine", dependencies: ["ByteStreams", "OCI", "ImageTransports", "Registry", "Queue"]),
        // Commands, argument parsing, output formats, progress.
        .target(name: "OCIBatchCLI", dependencies: ["Engine", "HTTPClient", "Registry", "ImageTransports", "OCI", "Queue"]),
        .executableTarget(name: "ocibatch", dependencies: ["OCIBatchCLI"]),

        // Shared test helpers: temp dirs, generated images, the services started by Tests/run.
        .target(name: "TestSupport", dependencies: ["OCI", "COpenSSL"], path: "Tests/TestSupport"),
        .testTarget(name: "ByteStreamsTests", dependencies: ["ByteStreams"]),
        .testTarget(name: "OCITests", dependencies: ["OCI", "TestSupport"]),
        .testTarget(name: "ImageTransportsTests", dependencies: ["ImageTransports", "TestSupport"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "TestSupport"]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "TestSupport"]),
        .testTarget(name: "QueueTests", dependencies: ["Queue", "TestSupport"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["OCIBatchCLI", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
