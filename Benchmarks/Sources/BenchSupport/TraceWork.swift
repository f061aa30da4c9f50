import Foundation
import FlowCore

/// An in-memory account graph shaped like the comparison fixture (Zipf(0.8) sources over a permutation of the
/// nodes, uniform destinations, lognormal-ish amounts, a year of timestamps), seeded and small enough to build in
/// a few seconds, for the ordo-one trace benchmarks. The full-size comparison runs in scripts/bench-traversal.sh.
public enum TraceWork {
    public struct Work: @unchecked Sendable {
        public let graph: FlowGraph
        public let seeds: [Int]
    }

    public static func graph(nodes: Int = 200_000, edges: Int = 1_000_000, seed: UInt64 = 42) -> Work {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
        var permutation = Array(0..<nodes)
        for i in stride(from: nodes - 1, to: 0, by: -1) { permutation.swapAt(i, Int(next() % UInt64(i + 1))) }
        var cumulative = [Double](repeating: 0, count: nodes)
        var total = 0.0
        for k in 0..<nodes { total += 1 / pow(Double(k + 1), 0.8); cumulative[k] = total }
        var specs: [EdgeSpec] = []
        specs.reserveCapacity(edges)
        var seen = Set<UInt64>()
        while specs.count < edges {
            let u = unit() * total
            var lo = 0, hi = nodes - 1
            while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < u { lo = mid + 1 } else { hi = mid } }
            let s = permutation[lo], t = Int(next() % UInt64(nodes))
            guard s != t, seen.insert(UInt64(s) << 32 | UInt64(t)).inserted else { continue }
            let amount = Int128(max(1, Int64(exp(4 * (unit() - 0.5)) * 1e8)))
            specs.append(EdgeSpec(source: s, target: t, time: 1_672_531_200 + Int64(next() % 31_536_000), amount: amount,
                                  transferID: Int64(specs.count)))
        }
        let graph = FlowGraph.build(nodeCount: nodes, edges: specs)
        var seeds: [Int] = []
        while seeds.count < 100 {
            let v = Int(next() % UInt64(nodes))
            if !graph.outEdges(of: v).isEmpty && !seeds.contains(v) { seeds.append(v) }
        }
        return Work(graph: graph, seeds: seeds)
    }
}

