// swift-tools-version:6.0
import PackageDescription

// Linux only: ingest and the bench read /proc, and the executable links with lld's packed
// relative relocations. Module arrows point one way (docs/architecture.md):
//   Ingest, Policy, Store, Console -> InboxModel
//   IngestPipeline -> Ingest, Policy, Store          (rounds ingest, demo, bench, the server)
//   ConsoleAdapters -> Console, Store, Policy         (the console's ports implemented)
//   Terminal -> Console, CNcursesw                    (the only ncurses code)
//   Reports -> Store;  Bench -> IngestPipeline, ConsoleAdapters, Reports
//   SafeFiles: files nobody sharing a folder can redirect (Store, Reports, rounds)
//   Connections: the connections file (secrets), for rounds and rounds-serve
//   rounds -> everything but the server (argument parsing and wiring; `rounds serve` runs
//             the rounds-serve executable beside it, so the console never loads NIO)
//   rounds-serve -> IngestPipeline, Connections, Hummingbird, AsyncHTTPClient, ...
let grdb: [Target.Dependency] = [.product(name: "GRDB", package: "GRDB.swift")]

let package = Package(
    name: "Rounds",
    products: [
        .executable(name: "rounds", targets: ["rounds"]),
        .executable(name: "rounds-serve", targets: ["rounds-serve"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .target(name: "InboxModel"),
        .target(name: "SafeFiles"),
        .target(name: "Connections", dependencies: ["SafeFiles", "Yams"]),
        .target(name: "Ingest", dependencies: ["InboxModel"]),
        .target(name: "Policy", dependencies: ["InboxModel", "Yams"]),
        .target(name: "Store", dependencies: ["InboxModel", "SafeFiles", .product(name: "Crypto", package: "swift-crypto"),
                                              .product(name: "GRDBSQLite", package: "GRDB.swift")] + grdb),
        .target(name: "IngestPipeline", dependencies: ["InboxModel", "Ingest", "Policy", "Store", "SafeFiles"]),
        .target(name: "Console", dependencies: ["InboxModel"]),
        .target(name: "ConsoleAdapters", dependencies: ["InboxModel", "Console", "Store", "Policy",
                                                        .product(name: "GRDBSQLite", package: "GRDB.swift")] + grdb),
        .systemLibrary(name: "CNcursesw", providers: [.apt(["libncursesw5-dev"])]),
        .target(name: "Terminal", dependencies: ["InboxModel", "Console", "CNcursesw"]),
        .target(name: "Reports", dependencies: ["InboxModel", "Store", "SafeFiles"]),
        .target(name: "Bench", dependencies: ["InboxModel", "Ingest", "Policy", "Store", "IngestPipeline", "Console",
                                              "ConsoleAdapters", "Reports"]),
        .executableTarget(
            name: "rounds",
            dependencies: [
                "InboxModel", "Ingest", "Policy", "Store", "IngestPipeline", "Console", "ConsoleAdapters", "Terminal",
                "Reports", "Bench", "SafeFiles", "Connections",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // lld with packed relative relocations (DT_RELR): the loader reads far fewer
            // relocations, a tenth of the console's start (docs/performance.md, P3).
            linkerSettings: [.unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"])]
        ),
        .executableTarget(
            name: "rounds-serve",
            dependencies: [
                "InboxModel", "Ingest", "Policy", "Store", "IngestPipeline", "Connections", "SafeFiles",
                "Bench", "Console", "ConsoleAdapters",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "InboxModel"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "ConsoleAdapters", "Console", "InboxModel", "SafeFiles", "Reports"]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "InboxModel"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Terminal", "InboxModel"]),
        .testTarget(name: "ServeTests", dependencies: ["rounds-serve", "rounds", "Connections", "Store", "InboxModel",
                                                       "Console", "ConsoleAdapters",
                                                       .product(name: "Crypto", package: "swift-crypto"),
                                                       .product(name: "AsyncHTTPClient", package: "async-http-client")],
                    exclude: ["fake_platform.py", "fake_pager.py"]),
        .testTarget(name: "CLITests", dependencies: ["rounds", "IngestPipeline", "Reports", "Bench", "Ingest", "Store",
                                                     "Console", "ConsoleAdapters", "InboxModel"]),
    ],
    swiftLanguageModes: [.v6]
)
