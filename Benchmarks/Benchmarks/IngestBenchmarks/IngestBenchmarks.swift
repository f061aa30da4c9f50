import Benchmark
import BenchSupport
import Foundation

nonisolated(unsafe) let benchmarks: @Sendable () -> Void = {
    let rawBlocks = (try? IngestWork.loadRawBlocks()) ?? []
    let parsed = (try? IngestWork.parse(rawBlocks).blocks) ?? []
    let storePath = FileManager.default.temporaryDirectory.appendingPathComponent("flowtrace-bench-store.sqlite").path

    Benchmark("Parse real raw blocks",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal,
                                             .custom("outputs/s", polarity: .prefersLarger, useScalingFactor: false)],
                                   maxDuration: .seconds(10), maxIterations: 50)) { benchmark in
        let start = ContinuousClock.now
        let result = try IngestWork.parse(rawBlocks)
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        benchmark.measurement(.custom("outputs/s", polarity: .prefersLarger, useScalingFactor: false),
                              Int(Double(result.outputs) / seconds))
        blackHole(result)
    }

    Benchmark("Parse real raw blocks on all cores",
              configuration: .init(metrics: [.wallClock, .custom("outputs/s", polarity: .prefersLarger, useScalingFactor: false)],
                                   maxDuration: .seconds(10), maxIterations: 50)) { benchmark in
        let start = ContinuousClock.now
        let result = try IngestWork.parseParallel(rawBlocks)
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        benchmark.measurement(.custom("outputs/s", polarity: .prefersLarger, useScalingFactor: false),
                              Int(Double(result.outputs) / seconds))
        blackHole(result)
    }

    Benchmark("Store real raw blocks",
              configuration: .init(metrics: [.wallClock, .custom("rows/s", polarity: .prefersLarger, useScalingFactor: false)],
                                   maxDuration: .seconds(20), maxIterations: 10)) { benchmark in
        let start = ContinuousClock.now
        let rows = try IngestWork.store(parsed, at: storePath)
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        benchmark.measurement(.custom("rows/s", polarity: .prefersLarger, useScalingFactor: false), Int(Double(rows) / seconds))
    }
}
