// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: rounds -> everything; Console -> InboxModel;
// Terminal -> Console + CNcursesw; Store, Ingest and Policy never import ncurses.
let package = Package(
    name: "Rounds",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rounds", targets: ["rounds"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(name: "InboxModel"),
        .target(name: "Policy", dependencies: ["InboxModel", "Yams"]),
        .target(name: "Store", dependencies: ["InboxModel", "Console", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        .target(name: "Ingest", dependencies: ["InboxModel"]),
        .target(name: "Console", dependencies: ["InboxModel"]),
        .systemLibrary(name: "CNcursesw", providers: [.apt(["libncursesw5-dev"])]),
        .target(name: "Terminal", dependencies: ["Console", "CNcursesw"]),
        .executableTarget(
            name: "rounds",
            dependencies: [
                "InboxModel", "Policy", "Store", "Ingest", "Console", "Terminal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // lld with packed relative relocations (DT_RELR): the loader reads 16 KB of them
            // instead of 2 MB (86,000 entries), a tenth of the console's start (P3).
            linkerSettings: [.unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"])]
        ),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "InboxModel"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Console", "InboxModel"]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "InboxModel"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Terminal", "InboxModel"]),
        .testTarget(name: "CLITests", dependencies: ["rounds", "Store", "Console", "InboxModel"]),
    ],
    swiftLanguageModes: [.v6]
)
