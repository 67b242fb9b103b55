// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "batchd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "batchd", targets: ["batchd"]),
        .executable(name: "batchctl", targets: ["batchctl"]),
        .executable(name: "batchd-inspect", targets: ["batchd-inspect"]),
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

        // Services, their start and stop, and the threads they run on.
        .target(name: "Lifecycle", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // zlib: DEFLATE and CRC-32 where hostile bytes meet a decoder.
        .target(name: "BatchModel", dependencies: ["CZlib"]),
        .target(name: "BatchStore", dependencies: ["BatchModel", "CSQLite"]),
        .target(name: "BatchCache", dependencies: ["BatchModel", "CHiredis"]),
        .target(
            name: "BatchAPI",
            dependencies: [
                "BatchModel", "BatchStore", "BatchCache", "Lifecycle",
                .product(name: "Logging", package: "swift-log"),
            ],
            // The contract is compiled into the binary: the served document always
            // describes the code that serves it.
            resources: [.embedInCode("Contract/openapi.yaml")]
        ),
        .target(name: "FastCGI", dependencies: ["CFastCGI", "Lifecycle"]),
        // File inspection as helper processes run it: the work, the pipe protocol, the loop.
        .target(name: "IngestInspection", dependencies: ["BatchModel"]),
        .executableTarget(name: "batchd-inspect", dependencies: ["IngestInspection"]),
        // In-process benchmarks for deploy/bench (parsing, ingest isolation).
        .executableTarget(name: "batchd-bench", dependencies: ["BatchModel", "BatchScheduler"]),
        .target(
            name: "BatchScheduler",
            dependencies: ["BatchModel", "BatchStore", "BatchCache", "IngestInspection", "Lifecycle", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "BatchWebhooks",
            dependencies: ["BatchModel", "BatchStore", "BatchAPI", "BatchCache", "Lifecycle", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "batchd",
            dependencies: [
                "BatchModel", "BatchStore", "BatchCache", "BatchAPI", "FastCGI", "BatchScheduler", "BatchWebhooks", "Lifecycle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "batchctl",
            dependencies: [
                "BatchModel", "BatchStore", "BatchCache",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // The parsers of client bytes as libFuzzer targets (deploy/fuzz).
        .target(name: "FuzzTargets", dependencies: ["BatchModel", "BatchAPI", "FastCGI", "IngestInspection"]),

        // Shared by the test targets: spawning real servers with a clean signal mask.
        .target(name: "TestSupport", dependencies: ["BatchModel", "BatchStore", "CZlib"], path: "Tests/TestSupport"),
        .testTarget(name: "BatchModelTests", dependencies: ["BatchModel", "TestSupport"]),
        .testTarget(name: "BatchStoreTests", dependencies: ["BatchStore", "BatchModel"]),
        .testTarget(name: "BatchAPITests", dependencies: ["BatchAPI", "BatchStore", "BatchModel", "BatchCache"]),
        .testTarget(name: "BatchCacheTests", dependencies: ["BatchCache", "TestSupport"]),
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI"]),
        .testTarget(name: "LifecycleTests", dependencies: ["Lifecycle", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"], exclude: ["Corpus"]),
        .testTarget(name: "BatchWebhooksTests", dependencies: ["BatchWebhooks", "BatchStore", "BatchModel", "TestSupport"]),
        .testTarget(name: "BatchSchedulerTests", dependencies: ["BatchScheduler", "BatchStore", "BatchModel", "TestSupport"]),
        .testTarget(
            name: "IntegrationTests", dependencies: ["BatchModel", "BatchStore", "IngestInspection", "TestSupport"],
            // Run by the tests as scripts from the source tree, not built.
            exclude: ["SpecExamples", "Contract", "SpecPages"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
