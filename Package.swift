// swift-tools-version: 6.0
import PackageDescription

// Release builds of the `flowtrace` binary link the Swift runtime and Foundation statically on Linux, as
// `swift build --static-swift-stdlib` would: the binary runs without the toolchain's shared libraries and every
// command starts ~6 ms sooner (no dynamic symbol binding across a dozen libraries). The modules that import the
// static Foundation (FlowCLI, flowtrace) are compiled for it too, so their objects name its static dependencies.
let staticStdlibCompile: [SwiftSetting] = [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))]
let staticStdlibLink: [LinkerSetting] = [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))]

let package = Package(
    name: "FlowTrace",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "flowtrace", targets: ["flowtrace"]),
        .library(name: "FlowCore", targets: ["FlowCore"]),
        .library(name: "FlowStore", targets: ["FlowStore"]),
        .library(name: "FlowIngest", targets: ["FlowIngest"]),
        .library(name: "FlowExport", targets: ["FlowExport"]),
        .library(name: "FlowFixtures", targets: ["FlowFixtures"]),
        .library(name: "FlowCLI", targets: ["FlowCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(name: "CPrefetch"),
        .target(
            name: "FlowCore",
            dependencies: ["CPrefetch", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "FlowStore", dependencies: ["CSQLite", "CPrefetch", "FlowCore"]),
        .target(
            name: "FlowIngest",
            dependencies: ["FlowCore", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Yams", package: "Yams")]
        ),
        .target(name: "FlowExport", dependencies: ["FlowCore"]),
        .target(name: "FlowFixtures", dependencies: ["FlowCore"]),
        .target(
            name: "FlowCLI",
            dependencies: [
                "FlowCore", "FlowStore", "FlowIngest", "FlowExport", "FlowFixtures",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: staticStdlibCompile
        ),
        .executableTarget(
            name: "flowtrace", dependencies: ["FlowCLI"],
            swiftSettings: staticStdlibCompile,
            linkerSettings: staticStdlibLink
        ),
        .target(
            name: "TestSupport",
            dependencies: ["FlowCore", "FlowStore", "FlowIngest", "FlowFixtures"],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "FlowCoreTests", dependencies: ["FlowCore", "TestSupport"]),
        .testTarget(name: "FlowStoreTests", dependencies: ["FlowStore", "FlowIngest", "TestSupport"]),
        .testTarget(name: "FlowIngestTests", dependencies: ["FlowIngest", "FlowStore", "TestSupport"]),
        .testTarget(name: "FlowExportTests", dependencies: ["FlowExport", "TestSupport"]),
        .testTarget(name: "FlowCLITests", dependencies: ["FlowCLI", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
