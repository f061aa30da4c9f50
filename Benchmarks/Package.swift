// swift-tools-version: 6.1
// Benchmarks live in their own package so `swift build` / `swift test` of FlowTrace never build the benchmark tool.
import PackageDescription

let package = Package(
    name: "FlowTraceBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "FlowCore", package: "main"),
                .product(name: "FlowStore", package: "main"),
                .product(name: "FlowIngest", package: "main"),
            ],
            path: "Sources/BenchSupport"
        ),
        .executableTarget(
            name: "IngestBenchmarks",
            dependencies: ["BenchSupport", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/IngestBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TraceBenchmarks",
            dependencies: ["BenchSupport", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/TraceBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(name: "ingest-rate", dependencies: ["BenchSupport"], path: "Sources/ingest-rate"),
        .executableTarget(name: "make-graph-fixture", dependencies: [.product(name: "FlowFixtures", package: "main")], path: "Sources/make-graph-fixture"),
        .executableTarget(name: "make-btc-etl-fixture", dependencies: [.product(name: "FlowFixtures", package: "main")], path: "Sources/make-btc-etl-fixture"),
        .executableTarget(name: "make-eth-etl-fixture", dependencies: [.product(name: "FlowFixtures", package: "main")], path: "Sources/make-eth-etl-fixture"),
        .executableTarget(name: "snapshot-load", dependencies: ["BenchSupport"], path: "Sources/snapshot-load"),
        .executableTarget(name: "trace-kernels", dependencies: ["BenchSupport"], path: "Sources/trace-kernels"),
    ],
    swiftLanguageModes: [.v6]
)
