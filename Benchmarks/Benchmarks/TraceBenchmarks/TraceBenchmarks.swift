import Benchmark
import BenchSupport
import FlowCore
import Foundation

nonisolated(unsafe) let benchmarks: @Sendable () -> Void = {
    let work = TraceWork.graph()
    var limits = TraceLimits()
    limits.maxHops = 6
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let edgesPerSecond = BenchmarkMetric.custom("edges/s", polarity: .prefersLarger, useScalingFactor: false)

    Benchmark("Reach 6 hops from 100 seeds (200k nodes, 1M edges)",
              configuration: .init(metrics: [.wallClock, edgesPerSecond], maxDuration: .seconds(10), maxIterations: 200)) { benchmark in
        var tracer = StaticTracer(graph: work.graph, policy: .poison, limits: limits, asset: nil, isStop: { _ in false })
        tracer.threads = cores
        let start = ContinuousClock.now
        let reached = tracer.reach(seedNodes: work.seeds)
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        benchmark.measurement(edgesPerSecond, Int(Double(work.graph.edgeCount) / seconds))
        blackHole(reached)
    }

    Benchmark("Static haircut 6 hops from 100 seeds (200k nodes, 1M edges)",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(10), maxIterations: 100)) { _ in
        var tracer = StaticTracer(graph: work.graph, policy: .haircut, limits: limits, asset: nil, isStop: { _ in false })
        tracer.recordsFlows = false
        tracer.threads = cores
        blackHole(tracer.trace(seedNodes: work.seeds))
    }

    for policy in [TracePolicy.fifo, .haircut] {
        Benchmark("Time-respecting \(policy) 6 hops from 100 seeds (200k nodes, 1M edges)",
                  configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(10), maxIterations: 200)) { _ in
            var tracer = AccountTracer(graph: work.graph, policy: policy, direction: .forward, limits: limits, asset: nil, isStop: { _ in false })
            tracer.recordsFlows = false
            blackHole(tracer.trace(seedNodes: work.seeds, seedEdges: []))
        }
    }
}
