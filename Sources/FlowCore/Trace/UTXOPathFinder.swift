/// Paths through the UTXO transaction graph from the outputs of one address to outputs of another, and how much
/// could have flowed between them.
public struct UTXOPathFinder {
    public let graph: UTXOGraph
    public let limits: TraceLimits

    public init(graph: UTXOGraph, limits: TraceLimits) { self.graph = graph; self.limits = limits }

    /// A path: outputs, each spent by the transaction that created the next; its bottleneck is the smallest value.
    public struct Path: Sendable, Equatable {
        public var outputs: [Int]
        public var bottleneck: Int128
    }

    /// The `k` paths with the largest bottlenecks from `sources` (outputs) to any output paying `target` (address
    /// id), through at most `limits.maxHops` transactions inside the time window; ties go to fewer hops, then to the
    /// earlier found. Best-first by bottleneck: extending a path never raises it, so paths complete in order; a
    /// partial path is dropped at an output `k` others reached in no more hops.
    /// - Returns: the paths, and whether `budget` (partial paths examined) cut the search short.
    public func topPaths(from sources: [Int], toAddress target: Int64, k: Int, budget: Int = 2_000_000) -> (paths: [Path], truncated: Bool) {
        struct Label { var output: Int; var parent: Int; var width: Int128; var hops: Int }
        let g = graph
        let maxHops = limits.maxHops ?? Int.max
        var labels: [Label] = []
        var heap = BinaryHeap<WidestFirst>()
        for o in Set(sources).sorted() {
            labels.append(Label(output: o, parent: -1, width: Int128(g.outValue[o]), hops: 0))
            heap.insert(WidestFirst(width: Int128(g.outValue[o]), hops: 0, order: labels.count - 1))
        }
        var settled: [Int: [Int]] = [:]
        var found: [Path] = []
        var examined = 0
        while let top = heap.popMin(), found.count < k {
            let label = labels[top.order]
            if label.hops > 0 && g.outAddress[label.output] == target {
                var outputs: [Int] = []
                var i = top.order
                while i >= 0 { outputs.append(labels[i].output); i = labels[i].parent }
                found.append(Path(outputs: outputs.reversed(), bottleneck: label.width))
                continue
            }
            // Outputs are reached in non-increasing width: k earlier arrivals in no more hops extend at least as well.
            if settled[label.output, default: []].lazy.filter({ $0 <= label.hops }).count >= k { continue }
            settled[label.output, default: []].append(label.hops)
            guard label.hops < maxHops else { continue }
            let spender = g.outSpender[label.output]
            guard spender != UTXOGraph.noIndex else { continue }
            let tx = Int(g.inTx[Int(spender)])
            guard limits.contains(time: g.txTime[tx]) else { continue }
            for o in g.outputs(of: tx) where g.outValue[o] > 0 {
                examined += 1
                if examined > budget { return (found, true) }
                let width = min(label.width, Int128(g.outValue[o]))
                labels.append(Label(output: o, parent: top.order, width: width, hops: label.hops + 1))
                heap.insert(WidestFirst(width: width, hops: label.hops + 1, order: labels.count - 1))
            }
        }
        return (found, false)
    }

    /// An upper bound on how much of the value of `sources` can have reached outputs paying `target` through at most
    /// `limits.maxHops` transactions (default 6): the maximum flow where every output carries at most its value and
    /// every transaction may pass what enters it to any of its outputs — a relaxation of every taint policy, so no
    /// policy attributes more. Dinic's algorithm on the transactions within reach that can still lead to the target.
    /// - Complexity: O(V² E) worst case on that subgraph.
    public func maxFlowBound(from sources: [Int], toAddress target: Int64) -> Int128 {
        let g = graph
        let maxHops = limits.maxHops ?? 6
        // Forward: outputs within maxHops transactions, and the transactions spending them.
        var depth: [Int: Int] = [:]
        var frontier = Set(sources).sorted()
        for o in frontier { depth[o] = 0 }
        var outputs = frontier
        for hop in 1...max(1, maxHops) {
            var next: [Int] = []
            for o in frontier {
                let spender = g.outSpender[o]
                guard spender != UTXOGraph.noIndex, g.outAddress[o] != target || depth[o] == 0 else { continue }
                let tx = Int(g.inTx[Int(spender)])
                guard limits.contains(time: g.txTime[tx]) else { continue }
                for p in g.outputs(of: tx) where depth[p] == nil { depth[p] = hop; next.append(p) }
            }
            outputs += next
            frontier = next
            if frontier.isEmpty { break }
        }
        // Keep the outputs that lead to the target: backward from the target's outputs over the kept spends.
        var useful = Set<Int>()
        var stack = outputs.filter { g.outAddress[$0] == target && depth[$0, default: 0] > 0 }
        while let o = stack.popLast() {
            guard useful.insert(o).inserted else { continue }
            let tx = g.tx(ofOutput: o)
            for i in g.inputs(of: tx) {
                let prev = g.inPrevOutput[i]
                if prev != UTXOGraph.noIndex, depth[Int(prev)] != nil, !useful.contains(Int(prev)) { stack.append(Int(prev)) }
            }
        }
        guard !useful.isEmpty else { return 0 }
        // Network: source → seed output; output in → out (its value); output out → spending tx; tx → its outputs'
        // in-nodes; a target output's out-node → sink.
        var index: [Int: Int] = [:]
        func node(_ key: Int) -> Int { if let i = index[key] { return i }; index[key] = index.count; return index.count - 1 }
        let s = node(-1), t = node(-2)
        var network = MaxFlow()
        let infinite = Int128.max / 4
        var linked = Set<Int>()
        for o in useful.sorted() {
            let inNode = node(2 * o + 10), outNode = node(2 * o + 11)
            network.addEdge(inNode, outNode, Int128(g.outValue[o]))
            if depth[o] == 0 { network.addEdge(s, inNode, infinite) }
            if g.outAddress[o] == target && depth[o, default: 0] > 0 { network.addEdge(outNode, t, infinite); continue }
            let spender = g.outSpender[o]
            guard spender != UTXOGraph.noIndex else { continue }
            let tx = Int(g.inTx[Int(spender)])
            let txNode = node(-3 - tx)
            network.addEdge(outNode, txNode, infinite)
            // (Each transaction links to its outputs once, from whichever input adds it first.)
            if linked.insert(tx).inserted {
                for p in g.outputs(of: tx) where useful.contains(p) { network.addEdge(txNode, node(2 * p + 10), infinite) }
            }
        }
        return network.maximum(from: s, to: t)
    }
}
