// swift-tools-version:6.0
import PackageDescription

let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
/// The compiler holds the layering: an import is internal unless a file says
/// `public import` (a module's public API names the type), every member used
/// comes from a module the file imports itself, and existentials say `any`.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "batchd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "batchd", targets: ["batchd"]),
        .executable(name: "batchctl", targets: ["batchctl"]),
        .executable(name: "batchd-inspect", targets: ["batchd-inspect"]),
        .executable(name: "batchcli", targets: ["batchcli"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Thin module maps over Debian's C libraries.
        .systemLibrary(name: "CFastCGI", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // libpq, not PostgresNIO: batchd's store is called from blocking worker threads,
        // one connection each, as SQLite's is; an async client would hop every query
        // onto an event loop and back.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // Services, their start and stop, and the threads they run on.
        .target(name: "Lifecycle", dependencies: [logging], swiftSettings: strict),
        // Bytes in and out: JSON, hashes and MACs, Base32/64 and hex, and the media
        // formats' inspection (zlib: DEFLATE and CRC-32 where hostile bytes meet a decoder).
        .target(name: "BatchCodecs", dependencies: ["CZlib"], swiftSettings: strict),
        // The domain: batches, items, tenants, keys, their states and policies.
        .target(name: "BatchModel", dependencies: ["BatchCodecs"], swiftSettings: strict),
        .target(name: "BatchStore", dependencies: ["BatchCodecs", "BatchModel", "CSQLite", "CLibPQ"], swiftSettings: strict),
        .target(name: "BatchCache", dependencies: ["BatchModel", "CHiredis", "Lifecycle"], swiftSettings: strict),
        // The documents clients and webhook receivers read: status, results, Check,
        // Talonic, summaries, media, admin views. Rows in, JSON values out.
        .target(name: "BatchDocuments", dependencies: ["BatchCodecs", "BatchModel", "BatchStore"], swiftSettings: strict),
        .target(
            name: "BatchAPI",
            dependencies: ["BatchCodecs", "BatchModel", "BatchStore", "BatchCache", "BatchDocuments", "Lifecycle", logging],
            // The contract is compiled into the binary: the served document always
            // describes the code that serves it.
            resources: [.embedInCode("Contract/openapi.yaml")],
            swiftSettings: strict
        ),
        .target(name: "FastCGI", dependencies: ["CFastCGI", "Lifecycle"], swiftSettings: strict),
        // File inspection as helper processes run it: the work, the pipe protocol, the loop.
        .target(name: "IngestInspection", dependencies: ["BatchCodecs", "BatchModel"], swiftSettings: strict),
        .executableTarget(name: "batchd-inspect", dependencies: ["IngestInspection"], swiftSettings: strict),
        // In-process benchmarks for deploy/bench (parsing, ingest isolation).
        .executableTarget(name: "batchd-bench", dependencies: ["BatchCodecs", "BatchModel", "BatchScheduler", "Lifecycle"], swiftSettings: strict),
        .target(
            name: "BatchScheduler",
            dependencies: ["BatchCodecs", "BatchModel", "BatchStore", "BatchCache", "IngestInspection", "Lifecycle", logging],
            swiftSettings: strict
        ),
        .target(
            name: "BatchWebhooks",
            dependencies: ["BatchCodecs", "BatchModel", "BatchStore", "BatchDocuments", "BatchCache", "Lifecycle", logging],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "batchd",
            dependencies: [
                "BatchCodecs", "BatchModel", "BatchStore", "BatchCache", "BatchAPI", "FastCGI", "BatchScheduler", "BatchWebhooks", "Lifecycle",
                logging, argumentParser,
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "batchctl", dependencies: ["BatchCodecs", "BatchModel", "BatchStore", "BatchCache", argumentParser], swiftSettings: strict),
        // The tenant's client: HTTP(S) through URLSession, nothing of the server linked in.
        .target(name: "BatchClient", dependencies: ["BatchCodecs"], swiftSettings: strict),
        .executableTarget(name: "batchcli", dependencies: ["BatchClient", argumentParser], swiftSettings: strict),

        // The parsers of client bytes as libFuzzer targets (deploy/fuzz).
        .target(
            name: "FuzzTargets",
            dependencies: ["BatchCodecs", "BatchModel", "BatchDocuments", "BatchAPI", "BatchCache", "FastCGI", "IngestInspection"],
            swiftSettings: strict),

        // Shared by the test targets: spawning real servers with a clean signal mask.
        .target(name: "TestSupport", dependencies: ["BatchModel", "BatchStore", "CZlib"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "BatchCodecsTests", dependencies: ["BatchCodecs", "TestSupport"]),
        .testTarget(name: "BatchModelTests", dependencies: ["BatchModel", "BatchCodecs"]),
        .testTarget(name: "BatchStoreTests", dependencies: ["BatchStore", "BatchModel", "TestSupport"]),
        .testTarget(name: "BatchAPITests", dependencies: ["BatchAPI", "BatchCodecs", "BatchStore", "BatchModel", "BatchCache"]),
        .testTarget(name: "BatchCacheTests", dependencies: ["BatchCache", "BatchModel", "TestSupport"]),
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI"]),
        .testTarget(name: "batchdTests", dependencies: ["batchd", "FastCGI", "BatchAPI"]),
        .testTarget(name: "BatchClientTests", dependencies: ["BatchClient"]),
        .testTarget(name: "LifecycleTests", dependencies: ["Lifecycle", logging]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"], exclude: ["Corpus"]),
        .testTarget(name: "BatchWebhooksTests", dependencies: ["BatchWebhooks", "BatchCodecs", "BatchStore", "BatchModel", "TestSupport"]),
        .testTarget(name: "BatchSchedulerTests", dependencies: ["BatchScheduler", "BatchStore", "BatchModel", "IngestInspection", "TestSupport"]),
        .testTarget(
            name: "IntegrationTests", dependencies: ["BatchCodecs", "BatchModel", "BatchStore", "IngestInspection", "TestSupport"],
            // Run by the tests as scripts from the source tree, not built.
            exclude: ["SpecExamples", "Contract", "SpecPages"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
